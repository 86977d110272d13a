package engine

import (
	"crypto/rand"
	"fmt"

	"github.com/pion/stun/v4"
)

// iceCreds are one generation of a peer's ICE credentials. A generation is
// never modified: a change stores a new one.
type iceCreds struct {
	localUfrag, localPwd string
	remoteUfrag          string // "" accepts any: not known yet
	integrity            stun.MessageIntegrity
}

func newCreds(localUfrag, localPwd, remoteUfrag string) *iceCreds {
	if localUfrag == "" {
		localUfrag = rand.Text()[:16]
	}
	if localPwd == "" {
		localPwd = rand.Text()
	}
	return &iceCreds{localUfrag: localUfrag, localPwd: localPwd, remoteUfrag: remoteUfrag,
		integrity: stun.NewShortTermIntegrity(localPwd)}
}

// credsFor returns the generation whose local ufrag a check names: the
// current one, or the one before an ICE restart while it is still valid.
func (p *Peer) credsFor(localUfrag []byte) *iceCreds {
	if c := p.creds.Load(); c.localUfrag == string(localUfrag) {
		return c
	}
	if c := p.prev.Load(); c != nil && c.localUfrag == string(localUfrag) {
		return c
	}
	return nil
}

// RestartICE gives the peer new local ICE credentials (empty ones are
// generated) for an offer or answer that restarts ICE, and returns the
// new answer parameters. Checks with the old credentials stay valid until
// the first valid check with the new ones; DTLS and SRTP carry on. The
// browser's new ufrag is set with SetRemoteUfrag when its SDP arrives.
func (p *Peer) RestartICE(localUfrag, localPwd string) (Local, error) {
	next := newCreds(localUfrag, localPwd, "")
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.ctx.Err() != nil {
		return Local{}, ErrClosed
	}
	if _, dup := e.byUfrag[next.localUfrag]; dup {
		return Local{}, fmt.Errorf("%w: %s", ErrDuplicateUfrag, next.localUfrag)
	}
	if old := p.prev.Load(); old != nil {
		delete(e.byUfrag, old.localUfrag) // a restart of a restart
	}
	p.prev.Store(p.creds.Load())
	p.creds.Store(next)
	e.byUfrag[next.localUfrag] = p
	return p.Local(), nil
}

// SetRemoteUfrag sets the browser's current a=ice-ufrag, which checks with
// the current local credentials must name.
func (p *Peer) SetRemoteUfrag(ufrag string) {
	p.e.mu.Lock()
	defer p.e.mu.Unlock()
	c := *p.creds.Load()
	c.remoteUfrag = ufrag
	p.creds.Store(&c)
}

// retirePrevLocked forgets the credentials before an ICE restart, once a
// check with the new ones has arrived.
func (p *Peer) retirePrevLocked() {
	if old := p.prev.Load(); old != nil {
		delete(p.e.byUfrag, old.localUfrag)
		p.prev.Store(nil)
	}
}
