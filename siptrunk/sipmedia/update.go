package sipmedia

import (
	"bytes"
	"fmt"
	"strings"
)

// Update applies a peer's re-INVITE/UPDATE offer to a running socket
// back-end and returns our answer (our last SDP, re-keyed if the SDES
// suite changed; the caller mirrors the direction). What it follows:
// a new connection address or port (PBXs re-INVITE to move media), a new
// SDES key, a codec list that still has the negotiated codec. A new DTLS
// fingerprint would need a new handshake: refused with ErrUpdate.
func (m *sockMedia) Update(offer string) (string, error) {
	m.updMu.Lock()
	defer m.updMu.Unlock()
	p := parseSDPMedia(offer)
	if !m.acceptsProto(p.proto) {
		return "", fmt.Errorf("%w: re-offer's %q is not the call's transport", ErrUpdate, p.proto)
	}
	if c, ok := chooseCodec([]string{m.codec.Name}, offer); !ok || c.PayloadType != m.codec.PayloadType {
		return "", fmt.Errorf("%w: re-offer drops or renumbers %s", ErrUpdate, m.codec.Name)
	}
	var vp sdpMedia
	if m.vid != nil {
		var err error
		if vp, err = m.vid.checkVideoUpdate(offer); err != nil {
			return "", err
		}
	}
	switch m.kind {
	case sockDTLS:
		if !strings.EqualFold(p.fingerprint, m.peer.fingerprint) {
			return "", fmt.Errorf("%w: new DTLS fingerprint (new association)", ErrUpdate)
		}
	case sockSDES:
		if err := m.rekeySDES(p); err != nil {
			return "", err
		}
	}
	m.moveRemote(p)
	if m.vid != nil {
		return m.local, m.updateVideo(vp)
	}
	return m.local, nil
}

// moveRemote follows a changed SDP address. An unchanged one is left
// alone: the peer's address may have been latched behind a NAT since.
// Plain RTP's strict latch moves with it: from now on only the new
// address is accepted (a late packet from the old one cannot pull the
// stream back).
// A hold offer with c=0.0.0.0 (RFC 2543 style) moves nothing.
func (m *sockMedia) moveRemote(p sdpMedia) {
	a, ok := p.remote()
	if !ok || a == m.sdpAddr {
		return
	}
	m.sdpAddr = a
	m.remote.Store(&a)
	r := rtcpAddrOf(p, a)
	m.rtcpRemote.Store(&r)
	m.log.Info("peer moved media", "addr", a)
}

// rekeySDES applies a re-offer's SDES line (RFC 4568 §7.1.4): the same
// suite with a new key replaces only the context for the peer's packets
// (ours keeps its key and rollover counter); another supported suite
// needs a new key of ours, announced in the answer.
func (m *sockMedia) rekeySDES(p sdpMedia) error {
	var other *sdesKey
	for _, line := range p.crypto {
		theirs, ok := parseCrypto(line)
		if !ok {
			continue
		}
		if theirs.suite == m.sdes.suite {
			return m.newPeerKey(theirs)
		}
		if other == nil {
			other = &theirs
		}
	}
	if other == nil {
		return fmt.Errorf("%w: re-offer has no supported SDES crypto line", ErrUpdate)
	}
	return m.newSuite(*other)
}

// newPeerKey swaps in a receive context for the peer's new key.
func (m *sockMedia) newPeerKey(theirs sdesKey) error {
	if theirs.tag != m.sdes.tag {
		m.retag(theirs.tag)
	}
	if bytes.Equal(theirs.key, m.peerKey.key) {
		return nil
	}
	rx, rtcpRx, err := newRxContexts(theirs.profile, theirs.key[:16], theirs.key[16:])
	if err != nil {
		return err
	}
	cur := m.sec.Load()
	m.sec.Store(&srtpPair{tx: cur.tx, rx: rx, rtcpRx: rtcpRx})
	m.peerKey = theirs
	m.log.Info("peer changed its SDES key")
	return nil
}

// newSuite re-keys both ways for a suite other than the current one.
func (m *sockMedia) newSuite(theirs sdesKey) error {
	ours, err := ourKeyFor(theirs)
	if err != nil {
		return err
	}
	pair, err := sdesPair(ours, theirs)
	if err != nil {
		return err
	}
	old := m.sdes.line()
	m.sdes, m.peerKey = ours, theirs
	m.sec.Store(pair)
	m.local = WithVersion(replaceAttr(m.local, "crypto", old, ours.line()), 1)
	m.log.Info("peer changed the SDES suite", "suite", ours.suite)
	return nil
}

// retag answers with the tag of the offer's line we took (RFC 4568 §5.1.2).
func (m *sockMedia) retag(tag string) {
	old := m.sdes.line()
	m.sdes.tag = tag
	m.local = WithVersion(replaceAttr(m.local, "crypto", old, m.sdes.line()), 1)
}

// Update answers a re-offer to the ICE back-end: with the same ICE
// credentials and fingerprint (hold, resume, session refresh) nothing
// changes. An ICE restart or a new DTLS fingerprint is refused with
// ErrUpdate (488): re-running pion's negotiation in the middle of a
// SIP dialog is not worth the risk for what PBXs do in practice.
func (m *pionMedia) Update(offer string) (string, error) {
	rd := m.pc.RemoteDescription()
	if rd == nil {
		return "", fmt.Errorf("%w: no remote description yet", ErrUpdate)
	}
	if iceCreds(rd.SDP) != iceCreds(offer) {
		return "", fmt.Errorf("%w: ICE restart", ErrUpdate)
	}
	if !strings.EqualFold(parseSDPMedia(rd.SDP).fingerprint, parseSDPMedia(offer).fingerprint) {
		return "", fmt.Errorf("%w: new DTLS fingerprint", ErrUpdate)
	}
	if _, ok := chooseCodec([]string{m.codec.Name}, offer); !ok {
		return "", fmt.Errorf("%w: re-offer drops %s", ErrUpdate, m.codec.Name)
	}
	return m.local, nil
}

// iceCreds is "ufrag pwd" of the first ICE credentials in s.
func iceCreds(s string) string {
	d, ok := parse(s)
	if !ok {
		return " "
	}
	u, _ := firstAttr(d, "ice-ufrag")
	p, _ := firstAttr(d, "ice-pwd")
	return strings.TrimSpace(u) + " " + strings.TrimSpace(p)
}
