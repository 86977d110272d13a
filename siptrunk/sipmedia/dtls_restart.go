package sipmedia

import "net/netip"

// DTLS restarts. Asterisk without ICE restarts DTLS on every SDP
// negotiation after the first (ast_rtp_activate: SSL_clear, then a new
// handshake), with the same certificate and roles: after a hold re-INVITE
// either way its next ClientHello starts a new association on the same
// socket. pion/dtls does not renegotiate, so a ClientHello with a new
// random, once the first association is up, starts a second server
// handshake on a fresh demultiplexer; its keys replace the old ones when
// it completes (until then both sides keep the old keys). A retransmitted
// ClientHello of the running association has the old random and goes to
// it (RFC 6347 §4.2.1 keeps the random across the cookie exchange).

// onDTLS takes one DTLS record from the read loop.
func (m *sockMedia) onDTLS(b []byte, from netip.AddrPort) {
	if m.sec.Load() == nil { // only before keys: records are not authenticated yet
		m.latch(from)
	}
	if r, ok := clientHelloRandom(b); ok && !dtlsClient(m.peer.setup) {
		switch {
		case !m.helloSeen:
			m.hello, m.helloSeen = r, true
		case r != m.hello && m.established():
			m.hello = r
			m.restartDTLS()
		}
	}
	m.dtlsIn.Load().offer(b)
}

// established reports whether the current association has its keys.
func (m *sockMedia) established() bool {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	return m.dconn != nil
}

// restartDTLS routes DTLS records to a new association and runs its
// server handshake. The old association's demultiplexer is closed first,
// so closing it later sends no close_notify that could end the new one.
func (m *sockMedia) restartDTLS() {
	next := newDTLSPackets(m)
	_ = m.dtlsIn.Swap(next).Close()
	m.log.Info("peer restarted DTLS: new handshake")
	m.wg.Add(1)
	go m.handshake(next, false)
}

// handshake runs one DTLS association over in with the role a=setup gave
// us. The first failure fails the media (the leg then hangs up); a failed
// restart leaves the old keys in place, so the peer's next attempt can
// still succeed.
func (m *sockMedia) handshake(in *dtlsPackets, client bool) {
	defer m.wg.Done()
	pair, conn, err := handshakeDTLS(m.ctx, in, in.remoteAddr(), m.id, m.peer.fingerprint, client)
	if err != nil {
		if m.ctx.Err() == nil {
			m.log.Warn("DTLS-SRTP without ICE failed", "err", err, "client", client)
			if m.sec.Load() == nil {
				m.setFailed()
			}
		}
		return
	}
	m.dmu.Lock()
	old := m.dconn
	m.dconn = conn
	m.dmu.Unlock()
	m.sec.Store(pair)
	if old != nil {
		_ = old.Close()
		m.restarts.Add(1)
		if m.video != nil {
			// Video sent across the key change may be lost: the peer's
			// decoder needs a new keyframe (Echo, for one, asks only once).
			m.video.askKeyframe()
		}
	}
	m.log.Debug("DTLS-SRTP established", "client", client)
}

// clientHelloRandom is the random of a DTLS record carrying the start of a
// ClientHello (RFC 6347 §4.1, §4.2.2: content type 22, epoch 0, handshake
// type 1 at offset 0): record header 13 bytes, handshake header 12,
// client_version 2, then the 32-byte random.
func clientHelloRandom(b []byte) ([32]byte, bool) {
	var r [32]byte
	const at = 13 + 12 + 2
	if len(b) < at+32 || b[0] != 22 || b[3] != 0 || b[4] != 0 || b[13] != 1 {
		return r, false
	}
	if b[19] != 0 || b[20] != 0 || b[21] != 0 { // fragment_offset: the first fragment only
		return r, false
	}
	copy(r[:], b[at:at+32])
	return r, true
}
