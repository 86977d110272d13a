package sipmedia

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// sockPeer collects what one sockMedia receives.
type sockPeer struct {
	m    *sockMedia
	mu   sync.Mutex
	got  [][]byte
	pts  []uint8
	seen chan struct{}
	once sync.Once
}

func newSockPeer(t *testing.T, kind sockKind, prefs ...string) *sockPeer {
	t.Helper()
	m, err := newSockMedia(net.ParseIP(ourIP), prefs, kind, testLogger())
	must(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return &sockPeer{m: m, seen: make(chan struct{})}
}

func (p *sockPeer) onRTP(pkt *rtp.Packet) {
	p.mu.Lock()
	p.got = append(p.got, append([]byte(nil), pkt.Payload...))
	p.pts = append(p.pts, pkt.PayloadType)
	if len(p.got) >= 20 {
		p.once.Do(func() { close(p.seen) })
	}
	p.mu.Unlock()
}

// sendUntilHeard writes 20 ms frames from a until b has 20 packets.
func sendUntilHeard(t *testing.T, a, b *sockPeer, payload []byte) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	b.mu.Lock()
	seen := b.seen // reset may replace it
	b.mu.Unlock()
	for {
		select {
		case <-seen:
			b.mu.Lock()
			defer b.mu.Unlock()
			if !bytes.Equal(b.got[len(b.got)-1], payload) {
				t.Errorf("payload changed on the way: %x", b.got[len(b.got)-1])
			}
			return
		case <-deadline:
			t.Fatalf("%d packets arrived in 5 s", len(b.got))
		case <-tick.C:
			_ = a.m.WriteAudio(payload, 160)
		}
	}
}

// TestSockMediaPairs: our socket back-end against itself, covering what
// baresip cannot: baresip always offers actpass and answers active, so
// here the answerer is also made the DTLS client (the offer says
// passive), and the offer's address is wrong so that only symmetric RTP
// latching can deliver the answerer's audio.
func TestSockMediaPairs(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) }) // runs after every case's Close
	deadPort := regexp.MustCompile(`m=audio \d+ `)
	for _, tc := range []struct {
		name    string
		kind    sockKind
		rewrite func(string) string
		opus    bool // both prefer Opus: telephone-event at 48 kHz
	}{
		{"dtls actpass", sockDTLS, nil, false},
		{"dtls offer passive", sockDTLS, func(s string) string {
			return regexp.MustCompile(`a=setup:actpass`).ReplaceAllString(s, "a=setup:passive")
		}, false},
		{"sdes", sockSDES, nil, false},
		{"rtp latching", sockRTP, func(s string) string { return deadPort.ReplaceAllString(s, "m=audio 9 ") }, false},
		{"sdes latching", sockSDES, func(s string) string { return deadPort.ReplaceAllString(s, "m=audio 9 ") }, false},
		{"dtls opus", sockDTLS, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, want := newSockPeer(t, tc.kind, "pcma", "pcmu"), newSockPeer(t, tc.kind, "pcmu"), "pcmu"
			if tc.opus {
				a, b, want = newSockPeer(t, tc.kind, "opus", "pcmu"), newSockPeer(t, tc.kind, "opus"), "opus"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			offer, err := a.m.Offer(ctx)
			must(t, err)
			if tc.rewrite != nil {
				offer = tc.rewrite(offer)
			}
			answer, err := b.m.Answer(ctx, offer)
			must(t, err)
			must(t, a.m.Accept(answer))
			if a.m.Codec().Name != want || b.m.Codec().Name != want {
				t.Fatalf("codecs %q/%q, want %s", a.m.Codec().Name, b.m.Codec().Name, want)
			}
			if tc.opus && a.m.Codec().DTMFClockRate != 48000 {
				t.Errorf("telephone-event at %d Hz with Opus, want 48000", a.m.Codec().DTMFClockRate)
			}
			a.m.Start(a.onRTP)
			b.m.Start(b.onRTP)
			sendUntilHeard(t, a, b, bytes.Repeat([]byte{0x55}, 160))
			sendUntilHeard(t, b, a, bytes.Repeat([]byte{0xd5}, 160))
			must(t, b.m.WriteEvent(EventPayloads(5)))
			waitPT(t, a, a.m.Codec().DTMFPayloadType)
		})
	}
}

// waitPT waits until p received a packet of payload type pt.
func waitPT(t *testing.T, p *sockPeer, pt uint8) {
	t.Helper()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		for _, x := range p.pts {
			if x == pt {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
	}
	t.Errorf("no packet with payload type %d (telephone-event) arrived", pt)
}

// TestSockMediaRefusesOtherTransport: an SRTP trunk never accepts plain
// RTP (no downgrade), and DTLS needs a fingerprint.
func TestSockMediaRefusesOtherTransport(t *testing.T) {
	plain := newSockPeer(t, sockRTP, "pcmu")
	offer, err := plain.m.Offer(context.Background())
	must(t, err)
	for _, kind := range []sockKind{sockSDES, sockDTLS} {
		m := newSockPeer(t, kind, "pcmu")
		if _, err := m.m.Answer(context.Background(), offer); err == nil {
			t.Errorf("kind %d answered a plain RTP offer", kind)
		}
	}
}

// TestSockMediaWriteNoAllocs: sending a protected frame does not allocate.
func TestSockMediaWriteNoAllocs(t *testing.T) {
	a, b := newSockPeer(t, sockSDES, "pcmu"), newSockPeer(t, sockSDES, "pcmu")
	offer, err := a.m.Offer(context.Background())
	must(t, err)
	answer, err := b.m.Answer(context.Background(), offer)
	must(t, err)
	must(t, a.m.Accept(answer))
	payload := make([]byte, 160)
	if n := testing.AllocsPerRun(200, func() { must(t, a.m.WriteAudio(payload, 160)) }); n != 0 {
		t.Errorf("%.1f allocations per SRTP packet sent, want 0", n)
	}
}

// TestSockMediaPlainRTPStrict: once plain RTP has come from the peer, a
// packet from anywhere else is dropped and cannot steal the stream.
func TestSockMediaPlainRTPStrict(t *testing.T) {
	a, b, _ := negotiated(t, sockRTP)
	attacker, err := net.DialUDP("udp4", nil, b.m.conn.LocalAddr().(*net.UDPAddr))
	must(t, err)
	defer attacker.Close()
	p, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 9, SequenceNumber: 1}, Payload: []byte{1}}).Marshal()
	for range 5 {
		_, _ = attacker.Write(p)
	}
	time.Sleep(100 * time.Millisecond)
	if got := b.m.stats.rejected.Load(); got != 5 {
		t.Errorf("rejected %d packets from another source, want 5", got)
	}
	if r := b.m.remote.Load(); r == nil || r.Port() != uint16(a.m.port()) {
		t.Errorf("peer address moved to %v", r)
	}
}

// TestBindPortPairs: 200 pairs held at once, every one an even RTP port
// with its RTCP port right above, whatever parity the kernel hands out.
func TestBindPortPairs(t *testing.T) {
	ip := net.ParseIP("127.0.0.1")
	for range 200 {
		rtp, rtcp, err := bindPortPair(ip)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = rtp.Close(), rtcp.Close() })
		p, q := rtp.LocalAddr().(*net.UDPAddr).Port, rtcp.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || q != p+1 {
			t.Fatalf("pair %d/%d: want an even RTP port and RTCP on the next", p, q)
		}
	}
}
