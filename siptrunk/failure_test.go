package siptrunk

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/configs"
	"xphone/sfu"
)

// fakeUAS is a tiny sipgo server standing in for a PBX that refuses
// calls: the request-URI user "0NNN" is answered with status NNN; "0180"
// rings forever.
type fakeUAS struct {
	addr    string
	cancels atomic.Int32
	invites atomic.Int32
}

func startFakeUAS(t *testing.T) *fakeUAS {
	t.Helper()
	f := &fakeUAS{addr: "127.0.0.2:5071"}
	ua, err := sipgo.NewUA()
	must(t, err)
	srv, err := sipgo.NewServer(ua)
	must(t, err)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		f.invites.Add(1)
		code, _ := strconv.Atoi(req.Recipient.User[1:])
		if code == 180 {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 180, "Ringing", nil))
			cancelled := make(chan struct{})
			tx.OnCancel(func(*sip.Request) { f.cancels.Add(1); close(cancelled) })
			select {
			case <-cancelled:
				_ = tx.Respond(sip.NewResponseFromRequest(req, 487, "Request Terminated", nil))
			case <-tx.Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Test", nil))
	})
	conn, err := net.ListenPacket("udp4", f.addr)
	must(t, err)
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ua.Close(); _ = conn.Close() })
	return f
}

// TestFailureCodes: SIP final responses map to call-control reasons.
func TestFailureCodes(t *testing.T) {
	uas := startFakeUAS(t)
	tr := newTestTrunk(t, configs.Trunk{Address: uas.addr}, nil)
	for _, tc := range []struct {
		number string
		want   sfu.Reason
		err    error
	}{
		{"0486", sfu.ReasonBusy, sfu.ErrBusy},
		{"0603", sfu.ReasonDeclined, sfu.ErrDeclined},
		{"0404", sfu.ReasonNotFound, sfu.ErrNotFound},
		{"0480", sfu.ReasonUnavailable, sfu.ErrUnavailable},
		{"0408", sfu.ReasonNoAnswer, sfu.ErrNoAnswer},
		{"0503", sfu.ReasonCongestion, sfu.ErrCongestion},
		{"0500", sfu.ReasonTrunkUnavailable, ErrTrunkUnavailable},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: tc.number})
		cancel()
		if !errors.Is(err, tc.err) || sfu.ReasonFor(err) != tc.want {
			t.Errorf("%s: err %v (reason %s), want %v (%s)", tc.number, err, sfu.ReasonFor(err), tc.err, tc.want)
		}
	}
}

// TestCancelOnContextEnd: the caller gives up while the far end rings →
// CANCEL, and Dial returns the context's cause.
func TestCancelOnContextEnd(t *testing.T) {
	uas := startFakeUAS(t)
	tr := newTestTrunk(t, configs.Trunk{Address: uas.addr}, nil)
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Second, sfu.ErrNoAnswer)
	defer cancel()
	rang := make(chan struct{}, 1)
	_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0180", Ringing: func() { rang <- struct{}{} }})
	if !errors.Is(err, sfu.ErrNoAnswer) {
		t.Errorf("err = %v, want ErrNoAnswer", err)
	}
	if len(rang) != 1 {
		t.Error("Ringing not reported on 180")
	}
	deadline := time.Now().Add(3 * time.Second)
	for uas.cancels.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if uas.cancels.Load() != 1 {
		t.Errorf("CANCELs seen by the far end = %d, want 1", uas.cancels.Load())
	}
}

// TestForbiddenNumberNeverInvites: a caller without the permission class,
// an inbound trunk caller whose From claims a privileged extension, and a
// call of unknown origin never produce an INVITE.
func TestForbiddenNumberNeverInvites(t *testing.T) {
	uas := startFakeUAS(t)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: uas.addr, Listen: ourSIP}, MediaIP: ourIP,
		Dialplan: []configs.DialRule{
			{Pattern: "00.", Trunk: "pbx", Permission: "international"},
			{Pattern: "0.", Trunk: "pbx", Permission: "national"},
		},
		Permission: func(n string) string { return map[string]string{"1001": "national"}[n] }}, nil, testLogger())
	must(t, err)
	must(t, tr.Start())
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	for _, tc := range []struct {
		from   string
		origin sfu.Origin
	}{
		{"1001", sfu.ExtensionOrigin("1001")},
		{"1002", sfu.ExtensionOrigin("1002")},
		{"1001", sfu.TrunkOrigin("pbx", false)}, // the far side wrote From: 1001
		{"1001", sfu.Origin{}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: tc.from}, Origin: tc.origin, To: "0044 20 7946 0000"})
		cancel()
		if !errors.Is(err, sfu.ErrForbidden) || !errors.Is(err, ErrForbidden) {
			t.Errorf("from %s (%s): err = %v, want forbidden", tc.from, tc.origin, err)
		}
	}
	if n := tr.Stats.Invites.Load() + uint64(uas.invites.Load()); n != 0 {
		t.Errorf("%d INVITEs sent for forbidden numbers", n)
	}
}
