package engine

import (
	"sync/atomic"
	"testing"

	"github.com/pion/rtp"
)

// rawRecorder is a recorder that asks for the decrypted bytes too and
// checks they are the packet it is given.
type rawRecorder struct {
	*recorder
	mismatch chan string
	calls    *atomic.Int64
}

func (r rawRecorder) OnRTPRaw(p *rtp.Packet, raw []byte) {
	r.calls.Add(1)
	var again rtp.Packet
	if err := again.Unmarshal(raw); err != nil || again.SequenceNumber != p.SequenceNumber ||
		string(again.Payload) != string(p.Payload) {
		select {
		case r.mismatch <- string(p.Payload):
		default:
		}
	}
	r.recorder.OnRTP(p)
}

// TestRawRTPHandlerGetsTheDecryptedBytes: a handler implementing
// RawRTPHandler is called with each packet's decrypted bytes, which hold
// the same header and payload as the packet it gets.
func TestRawRTPHandlerGetsTheDecryptedBytes(t *testing.T) {
	e := newTestEngine(t)
	b := newBrowser(t)
	r := rawRecorder{recorder: newRecorder(), mismatch: make(chan string, 1), calls: new(atomic.Int64)}
	connect(t, e, b, RoleServer, r)
	sendUntil(t, b, r.recorder, "raw", 3)
	if r.calls.Load() == 0 {
		t.Fatal("OnRTPRaw was never called: the engine used OnRTP")
	}
	select {
	case payload := <-r.mismatch:
		t.Fatalf("raw bytes of %q do not match the packet", payload)
	default:
	}
}
