package configs

import (
	"bytes"
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse checks that no input panics; that Parse either fails with
// ErrDecode or ErrInvalid or returns a configuration that validates; and
// that an accepted configuration written back as YAML parses to the same
// configuration (nothing is lost or reinterpreted on the way).
func FuzzParse(f *testing.F) {
	f.Add(defaultYAML)
	f.Add(exampleYAML)
	f.Add([]byte("rooms:\n  - number: \"800\"\n"))
	f.Add([]byte("calls: {no_answer_timeout: 1h}\n"))
	f.Add([]byte("foo: [1, {a: b}]\n"))
	f.Add([]byte("login: {max_failures: 5, extension_max_failures: 5, slow_after: 5}\n"))
	f.Add([]byte("limits: {per_extension: {sessions: 1, tabs: 1, calls: 1}, websocket: {messages_per_second: 0.5, burst: 1, max_message_bytes: 4096}}\n"))
	f.Add([]byte("metrics: {listen: \"[::1]:9181\", token: 0123456789abcdef}\n"))
	f.Add([]byte("metrics: {listen: \":9181\"}\n"))
	f.Add([]byte("trunks: [{name: pbx, address: \"192.0.2.1:5060\", media_timeout: 0s}]\ndialplan: [{pattern: \"0.\", trunk: pbx, permission: national}]\n"))
	f.Add([]byte("---\n---\n"))
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
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted config does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("an accepted config written back is refused: %v\n%s", err, out)
		}
		// Compared as YAML: nil and empty lists are the same configuration.
		if out2, _ := yaml.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the config:\n%s\nbecame\n%s", out, out2)
		}
	})
}
