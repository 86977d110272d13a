package engine

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// got is one packet a handler saw, copied out of the engine's buffers.
type got struct {
	ssrc    uint32
	pt      uint8
	seq     uint16
	payload string
}

// recorder is a Handler that copies what it is handed onto channels.
type recorder struct {
	rtp  chan got
	rtcp chan []byte
	mu   sync.Mutex
	n    int
}

func newRecorder() *recorder {
	return &recorder{rtp: make(chan got, 1024), rtcp: make(chan []byte, 1024)}
}

func (r *recorder) OnRTP(p *rtp.Packet) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	select {
	case r.rtp <- got{p.SSRC, p.PayloadType, p.SequenceNumber, string(p.Payload)}:
	default:
	}
}

func (r *recorder) OnRTCP(b []byte) {
	select {
	case r.rtcp <- append([]byte(nil), b...):
	default:
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Config{Listen: "127.0.0.1:0", HandshakeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// waitFor polls cond (it reads state another goroutine writes) until it
// holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func loopback(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}
