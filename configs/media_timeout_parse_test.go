package configs

import (
	"strings"
	"testing"
	"time"
)

// TestMediaTimeoutParse: media_timeout unset is nil (the 30s default),
// "0" is an explicit off, "45s" a timeout.
func TestMediaTimeoutParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want *time.Duration
	}{{"", nil}, {"    media_timeout: 0\n", ptr(time.Duration(0))}, {"    media_timeout: 45s\n", ptr(45 * time.Second)}} {
		yml := "trunks:\n  - name: pbx\n    address: \"192.0.2.1:5060\"\n" + tc.line
		c, err := Parse([]byte(yml))
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		got := c.Trunks[0].MediaTimeout
		if (got == nil) != (tc.want == nil) || (got != nil && got.D() != *tc.want) {
			t.Errorf("%q: got %v, want %v", strings.TrimSpace(tc.line), got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
