package rtcpclock

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// sessionRig is a Session on a manual clock and a settable wall clock,
// with every Write kept.
type sessionRig struct {
	t     *testing.T
	c     *Clock
	clock *fakeTime
	s     *Session

	mu     sync.Mutex
	writes [][]rtcp.Packet
}

func newSessionRig(t *testing.T) *sessionRig {
	t.Helper()
	r := &sessionRig{t: t, c: manualClock(t), clock: newFakeTime()}
	r.s = NewSession(SessionConfig{
		Clock: r.c, NackInterval: 100 * time.Millisecond, ReportInterval: time.Second,
		Now: r.clock.now, SenderSSRC: 0xfeed, Write: r.write,
	})
	t.Cleanup(r.s.Close)
	return r
}

// write decodes what the session wrote with pion's parser, so every test
// of the session also checks its hand-written bytes.
func (r *sessionRig) write(b []byte) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		r.t.Errorf("session wrote undecodable RTCP %x: %v", b, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, pkts)
}

// ticks fires the clock n times and returns what was written, one slice
// per Write.
func (r *sessionRig) ticks(n int) [][]rtcp.Packet {
	for range n {
		r.c.fire(r.clock.now())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

// receive delivers RTP packets of ssrc with the given sequence numbers.
func (r *sessionRig) receive(t *testing.T, ssrc uint32, seqs ...uint16) {
	t.Helper()
	for _, q := range seqs {
		r.s.Received(ssrc, rtpBytes(t, q, 0, -1), r.clock.now())
	}
}

// nacked is every sequence number NACKed per media SSRC in writes, and
// checks the NACKs' sender SSRC.
func nacked(t *testing.T, writes [][]rtcp.Packet) map[uint32][]uint16 {
	t.Helper()
	out := map[uint32][]uint16{}
	for _, w := range writes {
		for _, p := range w {
			if n, ok := p.(*rtcp.TransportLayerNack); ok {
				if n.SenderSSRC != 0xfeed {
					t.Fatalf("NACK from SSRC %#x, want the configured 0xfeed", n.SenderSSRC)
				}
				for _, pair := range n.Nacks {
					out[n.MediaSSRC] = append(out[n.MediaSSRC], pair.PacketList()...)
				}
			}
		}
	}
	return out
}

func TestSessionNacksLostPacketsUntilTheyArrive(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(1111, 90000, true)
	r.receive(t, 1111, 100, 101, 103, 106, 107)
	w := r.ticks(1)
	if got, want := nacked(t, w)[1111], []uint16{102, 104, 105}; !slices.Equal(got, want) || len(w) != 1 {
		t.Fatalf("NACKed %v in %d writes, want %v in one", got, len(w), want)
	}
	r.receive(t, 1111, 104) // a retransmission arrives
	if got := nacked(t, r.ticks(1))[1111]; !slices.Equal(got, []uint16{102, 105}) {
		t.Fatalf("after 104 arrived NACKed %v, want [102 105]", got)
	}
	if got := nacked(t, r.ticks(2))[1111]; !slices.Equal(got, []uint16{102, 105}) {
		t.Fatalf("third and fourth tick NACKed %v, want [102 105] once more (3 asks each)", got)
	}
}

func TestSessionNacksOnlyStreamsThatNegotiatedIt(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(2222, 48000, false)
	r.s.AddIncoming(3333, 90000, true)
	r.receive(t, 2222, 1, 5)
	r.receive(t, 3333, 65534, 1)     // across the wrap
	r.receive(t, 4444, 1, 9)         // never added
	r.receive(t, 5555, 10, 11, 5000) // never added either
	nacks := nacked(t, r.ticks(1))
	if _, ok := nacks[2222]; ok || len(nacks) != 1 {
		t.Fatalf("NACKed %v, want only stream 3333", nacks)
	}
	if want := []uint16{65535, 0}; !slices.Equal(nacks[3333], want) {
		t.Fatalf("NACKed %v across the wrap, want %v", nacks[3333], want)
	}
	if r.s.Ignored() != 5 {
		t.Fatalf("ignored %d packets of unknown SSRCs, want 5", r.s.Ignored())
	}
}

func TestSessionNackIgnoresRestartsAndRemovedStreams(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(4444, 90000, true)
	r.receive(t, 4444, 10, 11, 5000, 5001, 11, 4000)
	if w := r.ticks(1); len(w) != 0 {
		t.Fatalf("wrote %v after a sender restart, want nothing", w)
	}
	r.s.AddIncoming(6666, 90000, true)
	r.receive(t, 6666, 1, 3)
	r.s.RemoveIncoming(6666)
	r.receive(t, 6666, 5)
	if w := r.ticks(1); len(w) != 0 || r.s.Ignored() != 1 {
		t.Fatalf("wrote %v for a removed stream (ignored %d), want nothing and 1 ignored", w, r.s.Ignored())
	}
}

func TestSessionTWCCFeedbackListsArrivals(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(42, 90000, false)
	deliver := func(twccSeqs ...int) {
		for i, q := range twccSeqs {
			r.clock.advance(5 * time.Millisecond)
			r.s.Received(42, rtpBytes(t, uint16(i), 0, q), r.clock.now())
		}
	}
	deliver(1, 2) // before the extension id is known: no feedback
	if w := r.ticks(1); len(w) != 0 {
		t.Fatalf("feedback without a negotiated extension: %v", w)
	}
	r.s.SetTWCCExtension(5)
	deliver(100, 101, 103)
	w := r.ticks(1)
	if len(w) != 1 || len(w[0]) != 1 {
		t.Fatalf("wrote %v, want one transport-cc feedback", w)
	}
	fb := w[0][0].(*rtcp.TransportLayerCC)
	if fb.BaseSequenceNumber != 100 || fb.PacketStatusCount != 4 || len(fb.RecvDeltas) != 3 ||
		fb.SenderSSRC != 0xfeed || fb.MediaSSRC != 42 {
		t.Fatalf("feedback %+v, want from 0xfeed about 42, base 100, 4 statuses (102 missing), 3 arrivals", fb)
	}
	if d := fb.RecvDeltas[1].Delta; d != 5000 {
		t.Fatalf("arrival delta %d µs, want 5000 (packets 5 ms apart)", d)
	}
	if w := r.ticks(1); len(w) != 0 {
		t.Fatalf("feedback repeated without new packets: %v", w)
	}
	r.s.SetTWCCExtension(0)
	deliver(104)
	if w := r.ticks(1); len(w) != 0 {
		t.Fatalf("feedback after TWCC was turned off: %v", w)
	}
}
