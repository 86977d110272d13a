package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestTwoPeersNoCrossTalk connects two browsers to one engine at once:
// each one's media reaches only its own handler.
func TestTwoPeersNoCrossTalk(t *testing.T) {
	e := newTestEngine(t)
	ba, bb := newBrowser(t), newBrowser(t)
	ra, rb := newRecorder(), newRecorder()
	connect(t, e, ba, RoleServer, ra)
	connect(t, e, bb, RoleServer, rb)
	// sendUntil fails on any payload whose tag is not the sender's own.
	sendUntil(t, ba, ra, "alice", 5)
	sendUntil(t, bb, rb, "bob", 5)
	sendUntil(t, ba, ra, "alice", 5)
	select {
	case g := <-rb.rtp:
		t.Fatalf("bob's handler got %q after only alice sent", g.payload)
	default:
	}
}

// TestHandshakeGoroutineEnds checks the per-peer goroutine is gone once the
// handshake is over, while the peer keeps working (goleak in TestMain
// covers Close).
func TestHandshakeGoroutineEnds(t *testing.T) {
	for _, role := range []Role{RoleServer, RoleClient} {
		e := newTestEngine(t)
		b := newBrowser(t)
		r := newRecorder()
		p := connect(t, e, b, role, r)
		sendUntil(t, b, r, "up", 1) // the server role waits for this proof
		select {
		case <-p.hsDone:
		case <-time.After(2 * time.Second):
			t.Fatalf("role %d: handshake goroutine still running after media flowed", role)
		}
		dropped := e.Stats().DroppedDTLS
		sendUntil(t, b, r, "up", 3)
		if got := e.Stats().DroppedDTLS; got != dropped {
			t.Logf("role %d: %d late DTLS records dropped", role, got-dropped)
		}
		select {
		case <-p.Done():
			t.Fatalf("role %d: peer ended with the handshake goroutine: %v", role, p.Err())
		default:
		}
	}
}

func TestFingerprintMismatchFails(t *testing.T) {
	e := newTestEngine(t)
	b := newBrowser(t)
	offer, op := parseOffer(t, b.offer(t))
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: op.ufrag, RemoteFingerprint: testFP, Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan struct{})
	b.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed {
			close(failed)
		}
	})
	b.accept(t, buildAnswer(t, offer, p.Local()))
	select {
	case <-p.Done():
	case <-p.Ready():
		t.Fatal("keys installed for a certificate that does not match the fingerprint")
	case <-time.After(5 * time.Second):
		t.Fatal("peer neither failed nor connected")
	}
	if err := p.Err(); !errors.Is(err, ErrHandshake) || !errors.Is(err, ErrFingerprint) {
		t.Fatalf("Err() = %v, want ErrHandshake and ErrFingerprint", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	e, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddPeer(PeerConfig{LocalUfrag: p.Local().Ufrag, RemoteFingerprint: testFP,
		Handler: newRecorder()}); !errors.Is(err, ErrDuplicateUfrag) {
		t.Fatalf("duplicate ufrag: %v", err)
	}
	p.Close()
	p.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: newRecorder()}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddPeer after Close: %v", err)
	}
}

// TestNoCheckTimesOut: a peer whose browser never sends an ICE check ends
// with ErrHandshake after HandshakeTimeout, and leaves the engine's maps.
func TestNoCheckTimesOut(t *testing.T) {
	e, err := New(Config{Listen: "127.0.0.1:0", HandshakeTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, err := e.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("peer without ICE checks never ended")
	}
	if !errors.Is(p.Err(), ErrHandshake) {
		t.Fatalf("Err() = %v, want ErrHandshake", p.Err())
	}
	c := dialEngine(t, e)
	if _, ok := check(t, c, p.Local().Ufrag, p.Local().Pwd, true); ok {
		t.Fatal("a failed peer still answers ICE checks")
	}
}
