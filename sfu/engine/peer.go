package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
)

// Handler receives a peer's decrypted media. Both methods run in the
// engine's read goroutine: they must not block, and must not keep the
// packet, its payload or b after returning (the buffers are reused). They
// may still be called for a packet in flight while the peer is closing.
type Handler interface {
	OnRTP(p *rtp.Packet)
	OnRTCP(b []byte) // one decrypted (compound) RTCP packet
}

// BatchEnder is implemented by a Handler that wants to know when the read
// loop has handled every datagram of one recvmmsg call in which it was
// called. The payload bytes of packets handed to OnRTP stay valid until
// EndBatch returns (the read buffers are reused only by the next call;
// the *rtp.Packet and its header's slices are reused per packet), so a
// forwarder can send a burst grouped by viewer, each viewer's run as one
// UDP GSO message, instead of packet by packet. EndBatch runs in the read
// goroutine, like OnRTP.
type BatchEnder interface {
	EndBatch()
}

// RawRTPHandler is implemented by a Handler that also needs the decrypted
// packet's bytes (header and payload), for RTCP bookkeeping that reads
// them as they arrived (sequence numbers, transport-wide numbers). The
// engine then calls OnRTPRaw instead of OnRTP; raw is valid only during
// the call, like p.
type RawRTPHandler interface {
	OnRTPRaw(p *rtp.Packet, raw []byte)
}

// Role is the engine's DTLS role on a peer.
type Role int

const (
	// RoleServer waits for the ClientHello: answer "a=setup:passive" to a
	// browser's "actpass" (browsers' usual case).
	RoleServer Role = iota
	// RoleClient sends the ClientHello: "a=setup:active".
	RoleClient
)

// PeerConfig describes one remote endpoint, from its SDP.
type PeerConfig struct {
	// LocalUfrag and LocalPwd are the engine's ICE credentials for this
	// peer; empty ones are generated. The ufrag must be unique per engine.
	LocalUfrag, LocalPwd string
	// RemoteUfrag is the offer's a=ice-ufrag; checks must name it ("" until
	// known accepts any).
	RemoteUfrag string
	// RemoteFingerprint is the offer's a=fingerprint ("sha-256 AB:CD:…").
	RemoteFingerprint string
	Role              Role
	Handler           Handler
	// SRTPProfiles in order of preference; nil means AES-GCM-128 then
	// AES-CM-128-HMAC-SHA1-80 (GCM costs a fifth per video packet).
	SRTPProfiles []dtls.SRTPProtectionProfile
}

// Peer is one remote endpoint: its ICE binding, DTLS state and SRTP keys.
type Peer struct {
	e        *Engine
	cfg      PeerConfig
	log      *slog.Logger
	remoteFP string
	creds    atomic.Pointer[iceCreds] // current ICE credentials
	prev     atomic.Pointer[iceCreds] // those before an ICE restart, until retired

	addr    atomic.Pointer[peerAddr]    // nil until the first valid check
	keys    atomic.Pointer[cryptoState] // nil until the handshake completes
	consent atomic.Int64                // unix nanos of the last valid check
	seen    atomic.Bool                 // an authenticated media packet arrived
	sendMu  sync.Mutex                  // serialises use of keys.local
	ender   BatchEnder                  // the handler, if it is one
	raw     RawRTPHandler               // the handler, if it is one
	batch   uint64                      // read loop only: last batch listed in

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	dc     *dtlsConn
	bound  chan struct{} // closed at the first binding
	ready  chan struct{} // closed when SRTP keys are installed
	media  chan struct{} // closed at the first authenticated media packet
	done   chan struct{} // closed when the peer is closed or failed
	hsDone chan struct{} // closed when the handshake goroutine returns
	once   sync.Once
	errMu  sync.Mutex
	err    error
}

// peerAddr is a bound remote address with its encoded form for sendmmsg,
// and the local address the peer reached, which every reply leaves from.
// It is never changed in place (a Batch points at sa while it is queued).
type peerAddr struct {
	ap    netip.AddrPort
	local localAddr
	sa    sockaddr
}

// newPeerAddr encodes remote address ap, replied to from local.
func newPeerAddr(v4 bool, ap netip.AddrPort, local localAddr) *peerAddr {
	a := &peerAddr{ap: ap, local: local, sa: newSockaddr(v4, ap)}
	a.sa.setSource(v4, local)
	return a
}

// localAddr is the local address a datagram was sent to (zero when the
// kernel did not say), with the index of the interface it came in on,
// kept only where the address needs it: an IPv6 link-local one.
type localAddr struct {
	addr    netip.Addr
	ifindex uint32
}

// AddPeer registers a peer by its local ufrag and starts its handshake
// goroutine, which waits for the first ICE check.
func (e *Engine) AddPeer(cfg PeerConfig) (*Peer, error) {
	p, err := e.newPeer(cfg)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	ufrag := p.creds.Load().localUfrag
	if _, dup := e.byUfrag[ufrag]; dup {
		return nil, fmt.Errorf("%w: %s", ErrDuplicateUfrag, ufrag)
	}
	e.byUfrag[ufrag] = p
	p.ctx, p.cancel = context.WithCancel(e.ctx)
	e.wg.Add(1)
	go p.handshake()
	return p, nil
}

func (e *Engine) newPeer(cfg PeerConfig) (*Peer, error) {
	if cfg.Handler == nil {
		return nil, fmt.Errorf("%w: no handler", ErrConfig)
	}
	fp, err := parseFingerprint(cfg.RemoteFingerprint)
	if err != nil {
		return nil, err
	}
	if len(cfg.SRTPProfiles) == 0 {
		cfg.SRTPProfiles = []dtls.SRTPProtectionProfile{
			dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80}
	}
	creds := newCreds(cfg.LocalUfrag, cfg.LocalPwd, cfg.RemoteUfrag)
	p := &Peer{e: e, cfg: cfg, remoteFP: fp,
		log:   e.log.With("ufrag", creds.localUfrag),
		bound: make(chan struct{}), ready: make(chan struct{}),
		media: make(chan struct{}), done: make(chan struct{}),
		hsDone: make(chan struct{})}
	p.creds.Store(creds)
	p.ender, _ = cfg.Handler.(BatchEnder)
	p.raw, _ = cfg.Handler.(RawRTPHandler)
	p.dc = newDTLSConn(p)
	return p, nil
}

// Ready is closed when the handshake has installed the SRTP keys.
func (p *Peer) Ready() <-chan struct{} { return p.ready }

// Done is closed when the peer is closed or its handshake failed.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err says why the peer ended: nil while it runs or after a plain Close.
func (p *Peer) Err() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// RemoteAddr is the address bound by the last nominated ICE check.
func (p *Peer) RemoteAddr() (netip.AddrPort, bool) {
	a := p.addr.Load()
	if a == nil {
		return netip.AddrPort{}, false
	}
	return a.ap, true
}

// LastConsent is the time of the last valid ICE check (zero before any);
// a leg uses it to notice a browser that went away (RFC 7675).
func (p *Peer) LastConsent() time.Time {
	n := p.consent.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Profile is the negotiated SRTP protection profile, 0 before Ready.
func (p *Peer) Profile() dtls.SRTPProtectionProfile {
	if k := p.keys.Load(); k != nil {
		return k.profile
	}
	return 0
}

// Close unregisters the peer and waits for its handshake goroutine. It is
// idempotent. A handler must not call it (the read loop may be inside it):
// hand the close to another goroutine.
func (p *Peer) Close() {
	p.shutdown(nil)
	<-p.hsDone
}

// shutdown ends the peer without waiting for the handshake goroutine, so
// that goroutine can call it on failure.
func (p *Peer) shutdown(cause error) {
	p.once.Do(func() {
		p.errMu.Lock()
		p.err = cause
		p.errMu.Unlock()
		p.cancel()
		p.dc.close()
		e := p.e
		e.mu.Lock()
		delete(e.byUfrag, p.creds.Load().localUfrag)
		p.retirePrevLocked()
		if a := p.addr.Load(); a != nil && e.peerAt(a.ap) == p {
			e.rebindLocked(p, a.ap, netip.AddrPort{})
		}
		e.mu.Unlock()
		close(p.done)
	})
}

// noteMedia records the first authenticated media packet: proof that the
// remote end finished its handshake, so the DTLS state may go.
func (p *Peer) noteMedia() {
	if !p.seen.Load() && p.seen.CompareAndSwap(false, true) {
		close(p.media)
	}
}
