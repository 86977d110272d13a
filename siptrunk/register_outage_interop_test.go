package siptrunk

import (
	"context"
	"os"
	"testing"
	"time"

	"xphone/configs"
)

// TestRegistrationOutageKamailio: registered at a real kamailio (no
// keep-alives), kamailio is stopped — every refresh fails — and started
// again after the outage; the trunk registers again within the backoff
// cap (+25 % jitter) and a second. By default the outage
// is 5 s with bounds shortened to 100 ms … 1 s; XPHONE_OUTAGE=5m runs the
// real five minutes with the real bounds (1 s … 45 s: ≤ 60 s), as recorded
// in docs/security.md.
func TestRegistrationOutageKamailio(t *testing.T) {
	outage, bounds := 5*time.Second, [2]time.Duration{100 * time.Millisecond, time.Second}
	if v := os.Getenv("XPHONE_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		must(t, err)
		outage, bounds = d, [2]time.Duration{backoffMin, backoffMax}
	}
	k := startKamailio(t)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: kamailioSIP, Listen: ourSIP,
		Register: &configs.TrunkRegister{User: "xphone", Password: "s3cret", Expiry: configs.Duration(4 * time.Second)}},
		MediaIP: ourIP}, nil, testLogger())
	must(t, err)
	tr.backoff = bounds
	must(t, tr.Start())
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	waitStatus(t, tr, 5*time.Second, "registered", func(ok bool, n int, _ error) bool { return ok && n >= 1 })
	k.stop()
	down := time.Now()
	waitStatus(t, tr, 15*time.Second, "a refresh failing", func(ok bool, _ int, err error) bool { return !ok && err != nil })
	time.Sleep(max(0, outage-time.Since(down)))
	before := len(tr.attemptTimes())
	up := time.Now()
	k.start()
	// The longest backoff wait with jitter, plus the last ½ s of a REGISTER
	// attempt whose final retransmission (7.5 s in) found nobody, plus a
	// round trip: 57¼ s with the real bounds.
	limit := bounds[1]*5/4 + time.Second
	waitLog(t, k, "REGISTER ok xphone", limit+time.Second)
	back := time.Since(up)
	attempts := tr.attemptTimes()
	t.Logf("outage %s: %d REGISTER attempts remembered (last %d during it); registered again %s after kamailio came back (limit %s)",
		outage.Round(time.Second), len(attempts), before, back.Round(time.Millisecond), limit)
	if back > limit {
		t.Errorf("registered again after %s, want ≤ %s", back, limit)
	}
}
