package configs

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them, so
// callers can test with errors.Is.
var (
	// ErrInvalid means the configuration decoded but failed validation; the
	// wrapped *ValidationError lists every problem with its key path.
	ErrInvalid = errors.New("invalid configuration")
	// ErrDecode means the YAML could not be decoded: a syntax error, an
	// unknown key or a value of the wrong type. The message names the line.
	ErrDecode = errors.New("cannot decode configuration")
	// ErrDuration means a duration value is malformed or negative.
	ErrDuration = errors.New("invalid duration")
)
