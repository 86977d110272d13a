package web

import (
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// hears asserts that u's last second of decoded audio has every other
// user's tone and not u's own.
func hears(t *testing.T, u *roomUser, others []*roomUser, freqs map[string]float64) {
	t.Helper()
	heard := u.client.Heard(time.Second)
	own := sfutest.ToneDB(heard, freqs[u.number])
	for _, o := range others {
		if o == u {
			continue
		}
		other := sfutest.ToneDB(heard, freqs[o.number])
		if other < -40 {
			t.Errorf("%s does not hear %s: %.1f dB", u.number, o.number, other)
		}
		if own > other-25 {
			t.Errorf("%s hears themselves: own %.1f dB vs %s %.1f dB", u.number, own, o.number, other)
		}
	}
}

// heardEnough: every user decoded a second and a half of mix since the
// last ForgetHeard.
func heardEnough(users []*roomUser) bool {
	for _, u := range users {
		if len(u.client.Heard(1500*time.Millisecond)) < 72000 {
			return false
		}
	}
	return true
}
