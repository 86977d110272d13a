package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

//go:embed xphone.example.yaml
var exampleYAML []byte

// DefaultYAML returns a copy of the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// ExampleYAML returns a copy of the embedded, fully commented example
// configuration (xphone.example.yaml), e.g. for a subcommand that prints it.
func ExampleYAML() []byte { return bytes.Clone(exampleYAML) }

// Default parses the embedded default.yaml, the configuration used when no
// file is given. A test guarantees it is valid, so the error is only
// non-nil if the binary was built from a broken tree.
func Default() (*Config, error) {
	c, err := decodeAndValidate(defaultYAML)
	if err != nil {
		return nil, fmt.Errorf("configs: embedded default.yaml: %w", err)
	}
	return c, nil
}

// Parse builds a Config from YAML: defaults first, then a strict decode
// (unknown keys are errors naming their line), then Validate. Decode errors
// wrap ErrDecode; validation errors wrap ErrInvalid and a *ValidationError.
func Parse(data []byte) (*Config, error) {
	c, err := decodeAndValidate(data)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return c, nil
}

// Load reads and parses the YAML file at path; errors name the path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configs: read %s: %w", path, err)
	}
	c, err := decodeAndValidate(data)
	if err != nil {
		return nil, fmt.Errorf("configs: %s: %w", path, err)
	}
	return c, nil
}

func decodeAndValidate(data []byte) (*Config, error) {
	c := defaults()
	if err := decodeStrict(data, c); err != nil {
		return nil, err
	}
	c.applyListDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeStrict decodes exactly one YAML document into c, rejecting unknown
// keys. An empty input leaves c untouched.
func decodeStrict(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return decodeError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: more than one YAML document (a second \"---\"?)", ErrDecode)
	}
	return nil
}

// decodeError wraps a yaml.v3 error in ErrDecode, listing one error per
// line and rewording unknown-field errors as unknown keys with their section.
func decodeError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		lines[i] = rewordUnknownField(e)
	}
	return fmt.Errorf("%w:\n  %s", ErrDecode, strings.Join(lines, "\n  "))
}

// rewordUnknownField turns yaml.v3's
// `line 4: field listn not found in type configs.HTTP` into
// `line 4: unknown key "listn" in http`; other messages pass unchanged.
func rewordUnknownField(msg string) string {
	line, rest, ok := strings.Cut(msg, ": field ")
	if !ok {
		return msg
	}
	key, typ, ok := strings.Cut(rest, " not found in type configs.")
	if !ok {
		return msg
	}
	return fmt.Sprintf("%s: unknown key %q in %s", line, key, section(typ))
}

// section names the YAML section decoded into the Go type typ.
func section(typ string) string {
	switch typ {
	case "Config":
		return "the top level"
	case "TLS":
		return "http.tls"
	case "Extension":
		return "an extensions entry"
	case "Room":
		return "a rooms entry"
	case "Trunk":
		return "a trunks entry"
	case "DialRule":
		return "a dialplan entry"
	case "TransitRule":
		return "a transit entry"
	case "TrunkRateLimit":
		return "a trunk's rate_limit"
	case "Xphone", "HTTP", "Calls", "Media", "Login", "Log", "Policy", "Limits", "Metrics":
		return strings.ToLower(typ)
	case "ExtensionLimits":
		return "limits.per_extension"
	case "WebSocketLimits":
		return "limits.websocket"
	}
	return typ
}
