package engine

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/pion/stun/v4"
)

// handleSTUN answers a valid ICE connectivity check (ICE-lite: the engine
// only responds) and binds its source address to the peer. Invalid checks
// get no answer, so a scanner learns nothing.
// The response leaves from to, the address the check was sent to.
func (l *loop) handleSTUN(b []byte, src netip.AddrPort, to localAddr) {
	e := l.e
	m := &l.req
	m.Raw = b // decoded in place; the response is built in l.resp
	if err := m.Decode(); err != nil || m.Type != stun.BindingRequest {
		e.ctr.badSTUN.Add(1)
		return
	}
	user, err := m.Get(stun.AttrUsername)
	if err != nil {
		e.ctr.badSTUN.Add(1)
		return
	}
	local, remote, _ := bytes.Cut(user, []byte{':'})
	e.mu.Lock()
	p := e.byUfrag[string(local)]
	e.mu.Unlock()
	if p == nil {
		e.ctr.ufrag.Add(1)
		return
	}
	c := p.credsFor(local)
	if c == nil || !c.checkValid(m, remote) {
		e.ctr.badSTUN.Add(1)
		e.securityEvent("engine: ICE check with a bad password or ufrag", p, src)
		return
	}
	p.consent.Store(e.cfg.Now().UnixNano())
	e.bind(p, c, src, to, m.Contains(stun.AttrUseCandidate))
	l.respond(p, c, m, src, to)
}

// checkValid verifies the remote ufrag, MESSAGE-INTEGRITY with the local
// password and, when present, FINGERPRINT.
func (c *iceCreds) checkValid(m *stun.Message, remoteUfrag []byte) bool {
	if c.remoteUfrag != "" && string(remoteUfrag) != c.remoteUfrag {
		return false
	}
	if c.integrity.Check(m) != nil {
		return false
	}
	if m.Contains(stun.AttrFingerprint) && stun.Fingerprint.Check(m) != nil {
		return false
	}
	return true
}

// respond sends the binding success response with XOR-MAPPED-ADDRESS.
func (l *loop) respond(p *Peer, c *iceCreds, req *stun.Message, src netip.AddrPort, local localAddr) {
	r := &l.resp
	xor := &stun.XORMappedAddress{IP: src.Addr().AsSlice(), Port: int(src.Port())}
	err := r.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
		xor, c.integrity, stun.Fingerprint)
	if err != nil {
		p.log.Warn("engine: build binding response", "err", err)
		return
	}
	l.respSA.setSource(l.e.v4, local)
	if _, _, err := l.e.conn.WriteMsgUDPAddrPort(r.Raw, l.respSA.oob(), src); err != nil {
		l.e.ctr.sendE.Add(1)
		return
	}
	l.e.ctr.stun.Add(1)
	l.e.ctr.sent.Add(1)
}

// bind points p at src, replied to from local: the first valid check
// binds, and a later one for another pair (another remote address, or
// the same one reaching another local address) moves the peer only when
// it nominates (USE-CANDIDATE), as the controlling agent does for the
// pair it selected. The first check
// with credentials from an ICE restart retires the old ones.
func (e *Engine) bind(p *Peer, c *iceCreds, src netip.AddrPort, local localAddr, nominate bool) {
	if c == p.creds.Load() && p.prev.Load() != nil {
		e.mu.Lock()
		p.retirePrevLocked()
		e.mu.Unlock()
	}
	cur := p.addr.Load()
	if cur != nil && ((cur.ap == src && cur.local == local) || !nominate) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.ctx.Err() != nil {
		return // closed meanwhile
	}
	var old netip.AddrPort
	if cur != nil {
		old = cur.ap
		p.log.Info("engine: peer moved", "from", old, "to", src, "local", local.addr)
	}
	e.rebindLocked(p, old, src)
	p.addr.Store(newPeerAddr(e.v4, src, local))
	if cur == nil {
		close(p.bound)
	}
}

// securityEvent logs a rejected check for a known ufrag (someone who saw
// the ufrag is guessing) on the security stream with the remote address,
// at most once a second so a flood cannot flood the log; the counters
// have every one.
func (e *Engine) securityEvent(msg string, p *Peer, src netip.AddrPort) {
	now := e.cfg.Now().UnixNano()
	last := e.lastSec.Load()
	if (last != 0 && now-last < int64(time.Second)) || !e.lastSec.CompareAndSwap(last, now) {
		return
	}
	e.security.Warn(msg, "remote", src.Addr().String(), "ufrag", p.creds.Load().localUfrag)
}
