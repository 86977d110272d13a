package configs

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input panics and that Parse either fails with
// ErrDecode or ErrInvalid or returns a configuration that validates.
func FuzzParse(f *testing.F) {
	f.Add(defaultYAML)
	f.Add([]byte("rooms:\n  - number: \"800\"\n"))
	f.Add([]byte("calls: {no_answer_timeout: 1h}\n"))
	f.Add([]byte("foo: [1, {a: b}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrDecode) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
		for i, r := range c.Rooms {
			if r.Video == "" {
				t.Fatalf("rooms[%d].video not defaulted", i)
			}
		}
	})
}
