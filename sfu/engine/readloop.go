package engine

import (
	"errors"
	"net"
	"net/netip"
	"runtime/debug"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/stun/v4"
)

// loop is the state of one socket's read goroutine, all reused per packet.
type loop struct {
	e       *Engine
	m       *mmsg
	pkt     rtp.Packet  // the packet handed to OnRTP
	rtcpHdr rtcp.Header // scratch for DecryptRTCP
	req     stun.Message
	resp    stun.Message
	respSA  sockaddr // the response's source (setSource), reused
	// enders are the handlers to tell when this batch is done; a peer is
	// listed once per batch (Peer.batch holds the batch it was listed in).
	enders []*Peer
	batch  uint64
}

func newLoop(e *Engine) *loop {
	return &loop{e: e, m: newMmsg(e.conn, e.cfg.BatchSize, slotSize),
		enders: make([]*Peer, 0, e.cfg.BatchSize), batch: 1}
}

// readLoop reads batches until the socket is closed.
func (e *Engine) readLoop(l *loop) {
	defer e.wg.Done()
	for {
		n, err := l.m.recv()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || e.ctx.Err() != nil {
				return
			}
			e.log.Warn("engine: recvmmsg", "err", err)
			continue
		}
		l.handleBatch(n)
	}
}

// handleBatch handles n received messages, then tells the handlers that
// want it (BatchEnder) that the batch is done. A panic (a bug reached by
// some datagram) costs the rest of this batch, not every call on the socket.
func (l *loop) handleBatch(n int) {
	defer func() {
		l.enders = l.enders[:0]
		l.batch++
		if r := recover(); r != nil {
			l.e.ctr.panics.Add(1)
			l.e.log.Error("engine: panic in the read loop", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	for i := range n {
		l.handle(i)
	}
	for _, p := range l.enders {
		p.ender.EndBatch()
	}
}

// handled notes that p's handler was called in this batch.
func (l *loop) handled(p *Peer) {
	if p.ender != nil && p.batch != l.batch {
		p.batch = l.batch
		l.enders = append(l.enders, p)
	}
}

// handle demultiplexes message i by its first byte (RFC 7983).
func (l *loop) handle(i int) {
	e := l.e
	e.ctr.received.Add(1)
	b, src, ok := l.m.received(i)
	if !ok || len(b) == 0 {
		e.ctr.junk.Add(1)
		return
	}
	switch first := b[0]; {
	case first <= 3:
		l.handleSTUN(b, src, l.m.local(i))
	case first >= 20 && first <= 63:
		l.handleDTLS(b, src)
	case first >= 128 && first <= 191:
		l.handleMedia(b, src)
	default:
		e.ctr.junk.Add(1)
	}
}

// handleDTLS queues a record for the handshake of the peer bound to src.
func (l *loop) handleDTLS(b []byte, src netip.AddrPort) {
	p := l.e.peerAt(src)
	if p == nil {
		l.e.ctr.stranger.Add(1)
		return
	}
	if !p.dc.deliver(b) {
		l.e.ctr.dtls.Add(1)
	}
}

// handleMedia decrypts SRTP or SRTCP in place and calls the peer's handler
// in this goroutine. RTCP is told apart by its packet type 192–223 (RFC 5761).
func (l *loop) handleMedia(b []byte, src netip.AddrPort) {
	e := l.e
	p := e.peerAt(src)
	if p == nil {
		e.ctr.stranger.Add(1)
		return
	}
	k := p.keys.Load()
	if k == nil {
		e.ctr.noKeys.Add(1)
		return
	}
	if len(b) < 12 { // shorter than an RTP header or an SRTCP trailer
		e.ctr.junk.Add(1)
		return
	}
	if b[1] >= 192 && b[1] <= 223 {
		l.handleRTCP(p, k, b)
		return
	}
	plain, err := k.remote.DecryptRTP(b, b, &l.pkt.Header)
	if err != nil {
		e.ctr.decrypt.Add(1)
		return
	}
	if err := l.pkt.Unmarshal(plain); err != nil {
		e.ctr.junk.Add(1)
		return
	}
	p.noteMedia()
	e.ctr.rtp.Add(1)
	l.handled(p)
	if p.raw != nil {
		p.raw.OnRTPRaw(&l.pkt, plain)
		return
	}
	p.cfg.Handler.OnRTP(&l.pkt)
}

func (l *loop) handleRTCP(p *Peer, k *cryptoState, b []byte) {
	plain, err := k.remote.DecryptRTCP(b, b, &l.rtcpHdr)
	if err != nil {
		l.e.ctr.decrypt.Add(1)
		return
	}
	p.noteMedia()
	l.e.ctr.rtcp.Add(1)
	l.handled(p)
	p.cfg.Handler.OnRTCP(plain)
}
