package siptrunk

import (
	"testing"
	"time"
)

// KamailioSIP is the test kamailio's address, for the cluster tests of
// the external test package (which run whole nodes, and so cannot live in
// this package: internal/server imports it).
const KamailioSIP = kamailioSIP

// StartKamailio runs the test kamailio (registrar and proxy) until the
// test ends and returns a wait for a line of its log.
func StartKamailio(t *testing.T) (waitLine func(s string, within time.Duration)) {
	t.Helper()
	k := startKamailio(t)
	return func(s string, within time.Duration) {
		t.Helper()
		waitLog(t, k, s, within)
	}
}
