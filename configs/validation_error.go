package configs

import (
	"fmt"
	"strings"
)

// Problem is one validation failure: the YAML key path it concerns, such as
// "extensions[2].number", and what is wrong with it.
type Problem struct {
	Path    string
	Message string
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem found by Validate. errors.Is(err,
// ErrInvalid) is true for it.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems one per line after a summary line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "%v (%d problem%s):", ErrInvalid, n, plural(n))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// problems collects validation failures.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}
