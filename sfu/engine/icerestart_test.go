package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestICERestartFakeClient: after RestartICE the old credentials keep
// working until the first check with the new ones, which retires them;
// the new remote ufrag is enforced; media keys carry on.
func TestICERestartFakeClient(t *testing.T) {
	e := newTestEngine(t)
	r := newRecorder()
	p, c := addFakePeer(t, e, r, true)
	old := p.Local()
	l, err := p.RestartICE("", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Ufrag == old.Ufrag || l.Pwd == old.Pwd || l.Fingerprint != old.Fingerprint {
		t.Fatalf("restart gave %+v after %+v", l, old)
	}
	p.SetRemoteUfrag("client2")
	if _, ok := check(t, c.conn, old.Ufrag, old.Pwd, true); !ok {
		t.Fatal("old credentials refused before the new ones were used")
	}
	if _, ok := checkAs(t, c.conn, l.Ufrag, "client", l.Pwd, true); ok {
		t.Fatal("new credentials accepted with the old remote ufrag")
	}
	if _, ok := checkAs(t, c.conn, l.Ufrag, "client2", l.Pwd, true); !ok {
		t.Fatal("new credentials refused")
	}
	dropped := e.Stats().DroppedUfrag
	if _, ok := check(t, c.conn, old.Ufrag, old.Pwd, true); ok {
		t.Fatal("old credentials still answered after the new ones were used")
	}
	if e.Stats().DroppedUfrag != dropped+1 {
		t.Fatalf("retired ufrag not counted as unknown: %+v", e.Stats())
	}
	c.sendRTP(t, 1, "after restart")
	if g := <-r.rtp; g.payload != "after restart" {
		t.Fatalf("handler got %q", g.payload)
	}
	if _, err := p.RestartICE(l.Ufrag, ""); !errors.Is(err, ErrDuplicateUfrag) {
		t.Fatalf("restart onto a used ufrag: %v", err)
	}
	p.Close()
	if _, err := p.RestartICE("", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("restart after Close: %v", err)
	}
}

// TestICERestartBrowser: the browser restarts ICE (a new offer with new
// credentials); the engine answers with new ones and media keeps flowing
// both ways over the same DTLS/SRTP state.
func TestICERestartBrowser(t *testing.T) {
	e := newTestEngine(t)
	b := newBrowser(t)
	r := newRecorder()
	p := connect(t, e, b, RoleServer, r)
	sendUntil(t, b, r, "before", 2)
	offer, err := b.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(b.pc)
	parsed, op := parseOffer(t, b.pc.LocalDescription().SDP)
	l, err := p.RestartICE("", "")
	if err != nil {
		t.Fatal(err)
	}
	p.SetRemoteUfrag(op.ufrag)
	b.accept(t, buildAnswer(t, parsed, l))
	waitFor(t, 5*time.Second, "a check with the new credentials", func() bool {
		return p.prev.Load() == nil
	})
	sendUntil(t, b, r, "after", 2)
	engineToBrowser(t, e, p, b)
}
