package web

import (
	"context"
	"sync"

	"xphone/sfu"
)

// remoteLeg stands, in a tab of the home node, for the tab's leg on the
// anchor of a call across nodes: the media flows between the browser and
// the anchor; this leg only ends (told by the anchor, or hung up here and
// told to it) and carries the tab's in-call requests there.
type remoteLeg struct {
	r   *Registry
	h   *xhome
	t   *tab
	id  string
	who sfu.Identity

	done   chan struct{}
	once   sync.Once
	reason sfu.Reason // set before done closes
}

func newRemoteLeg(r *Registry, h *xhome, t *tab, id string) *remoteLeg {
	return &remoteLeg{r: r, h: h, t: t, id: id, who: sfu.Identity{Number: t.ext.Number, Name: t.ext.Name}, done: make(chan struct{})}
}

// ID implements sfu.Leg: the leg's id on the anchor.
func (l *remoteLeg) ID() string { return l.id }

// Identity implements sfu.Leg.
func (l *remoteLeg) Identity() sfu.Identity { return l.who }

// Origin implements sfu.Leg: the tab's extension.
func (l *remoteLeg) Origin() sfu.Origin { return sfu.ExtensionOrigin(l.who.Number) }

// Ups implements sfu.Leg: the tracks are on the anchor.
func (l *remoteLeg) Ups() []*sfu.UpTrack { return nil }

// Downs implements sfu.Leg: the tracks are on the anchor.
func (l *remoteLeg) Downs() []*sfu.DownTrack { return nil }

// Done implements sfu.Leg.
func (l *remoteLeg) Done() <-chan struct{} { return l.done }

// EndReason implements sfu.Leg.
func (l *remoteLeg) EndReason() sfu.Reason {
	select {
	case <-l.done:
		return l.reason
	default:
		return ""
	}
}

// Hangup implements sfu.Leg: the leg ends here and on the anchor.
func (l *remoteLeg) Hangup(ctx context.Context, reason sfu.Reason) error {
	if l.end(reason) {
		return l.r.x.send(ctx, l.h.anchor, mHangup, xEnd{Call: l.h.call, Reason: reason}, nil)
	}
	return nil
}

// SendDTMF implements sfu.Leg; the anchor's leg takes the peer's keys.
func (l *remoteLeg) SendDTMF(rune) {}

// end ends the leg with reason; false when it had ended already.
func (l *remoteLeg) end(reason sfu.Reason) bool {
	ended := false
	l.once.Do(func() {
		l.reason = reason
		close(l.done)
		l.r.forgetHome(l.h)
		ended = true
	})
	return ended
}

// deliver passes a message of the anchor's call control to the tab; one
// saying the call connected also marks it so in the tab (a placed call's
// hang-up is then a hangup, not a cancel).
func (l *remoteLeg) deliver(m xMsg) {
	switch {
	case m.Kind == "":
		l.t.send(m.Msg)
	case m.Connected:
		l.t.markConnected(m.Call)
		fallthrough
	default:
		l.t.sendCall(m.Call, m.Kind, m.Msg)
	}
}

// request carries an in-call request of the tab (hold, camera, answer,
// ice-restart) to the anchor; a refusal comes back as its code.
func (l *remoteLeg) request(m inMsg) (refusal, error) {
	ctx, cancel := context.WithTimeout(l.t.ctx, busTimeout)
	defer cancel()
	err := l.r.x.send(ctx, l.h.anchor, mReq, xReq{Call: l.h.call, Type: m.Type, On: m.On, SDP: m.SDP}, nil)
	if err != nil {
		return refusal(remoteReason(err)), err
	}
	return "", nil
}
