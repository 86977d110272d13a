package sipmedia

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The ICE back-end sends RTCP sender and receiver reports, as the socket
// back-end does, and reads the peer's.
func TestPionMediaExchangesRTCPReports(t *testing.T) {
	a := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, false)
	b := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, false)
	for _, m := range []*pionMedia{a, b} {
		m.reportEvery = 200 * time.Millisecond
		t.Cleanup(func() { _ = m.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err := a.Offer(ctx)
	must(t, err)
	answer, err := b.Answer(ctx, offer)
	must(t, err)
	must(t, a.Accept(answer))
	for _, m := range []*pionMedia{a, b} {
		m.Start(func(*rtp.Packet) {})
	}
	frame := make([]byte, 160)
	deadline := time.Now().Add(5 * time.Second)
	for tick := time.NewTicker(20 * time.Millisecond); ; <-tick.C {
		for _, m := range []*pionMedia{a, b} {
			_ = m.WriteAudio(frame, 160)
		}
		if a.srIn.Load() > 0 && a.rrIn.Load() > 0 && b.srIn.Load() > 0 && b.rrIn.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RTCP after 5 s: a read %d about b's stream and %d about its own, b %d and %d; want reports both ways",
				a.srIn.Load(), a.rrIn.Load(), b.srIn.Load(), b.rrIn.Load())
		}
	}
	if a.Received() == 0 || b.Received() == 0 {
		t.Fatalf("no audio both ways: a got %d, b got %d packets", a.Received(), b.Received())
	}
}
