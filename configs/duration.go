package configs

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseDuration parses a non-negative Go duration such as "30s", "15m" or
// "1h30m". Bare numbers without a unit (other than "0") are rejected.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w %q: want a number with a unit such as 30s, 15m or 1h30m", ErrDuration, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w %q: must not be negative", ErrDuration, s)
	}
	return Duration(d), nil
}

// UnmarshalYAML decodes a scalar such as "30s" or "1h30m". Errors are
// returned as *yaml.TypeError carrying the line number so that decoding goes
// on and reports every bad value at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: %v: want a scalar such as 30s, got a %s", n.Line, ErrDuration, kindName(n.Kind)),
		}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration in Go syntax, e.g. "15m0s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String returns the duration in Go syntax, e.g. "15m0s".
func (d Duration) String() string { return time.Duration(d).String() }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	default:
		return "document"
	}
}
