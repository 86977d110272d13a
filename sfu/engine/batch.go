package engine

import (
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// maxTag is the largest SRTP/SRTCP trailer the supported profiles add:
// the GCM tag (16) plus the SRTCP index (4).
const maxTag = 20

// Batch collects encrypted datagrams for several peers and sends them with
// one sendmmsg per Flush. A Batch belongs to one goroutine (a forwarder of
// one received packet, a mixer tick); peers may be shared between batches.
type Batch struct {
	e       *Engine
	m       *mmsg
	n       int
	hdr     rtp.Header  // scratch for EncryptRTP
	rtcpHdr rtcp.Header // scratch for EncryptRTCP
}

// NewBatch returns a batch of up to size datagrams; an add beyond that
// flushes first.
func (e *Engine) NewBatch(size int) *Batch {
	if size < 1 {
		size = 1
	}
	return &Batch{e: e, m: newMmsg(e.conn, size, slotSize)}
}

// Len is the number of datagrams waiting for Flush.
func (b *Batch) Len() int { return b.n }

// AddRTP marshals pkt and encrypts it for p into the batch's own buffer;
// pkt may be reused as soon as it returns.
func (b *Batch) AddRTP(p *Peer, pkt *rtp.Packet) error {
	a, k, slot, err := b.slot(p, pkt.MarshalSize())
	if err != nil {
		return err
	}
	out, err := p.sealRTP(k, slot, pkt, &b.hdr)
	if err != nil {
		return err
	}
	b.push(a, len(out))
	return nil
}

// AddRTCP encrypts one (compound) RTCP packet for p.
func (b *Batch) AddRTCP(p *Peer, raw []byte) error {
	a, k, slot, err := b.slot(p, len(raw))
	if err != nil {
		return err
	}
	out, err := p.sealRTCP(k, slot, raw, &b.rtcpHdr)
	if err != nil {
		return err
	}
	b.push(a, len(out))
	return nil
}

// slot returns the next free buffer (flushing a full batch) for a
// plaintext of size bytes, with p's address and keys.
func (b *Batch) slot(p *Peer, size int) (*peerAddr, *cryptoState, []byte, error) {
	a, k, err := p.sendState()
	if err != nil {
		return nil, nil, nil, err
	}
	if size+maxTag > slotSize {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, size)
	}
	if b.n == len(b.m.bufs) {
		if err := b.Flush(); err != nil {
			return nil, nil, nil, err
		}
	}
	buf := b.m.bufs[b.n]
	return a, k, buf[:cap(buf)], nil
}

func (b *Batch) push(a *peerAddr, n int) {
	b.m.setDest(b.n, &a.sa, n)
	b.n++
}

// Flush sends every queued datagram, in as few system calls as the kernel
// allows (sendmmsg, and UDP GSO for runs to one address unless disabled).
// A datagram the kernel refuses is counted and skipped; the first such
// error is returned after the rest were sent.
func (b *Batch) Flush() error {
	if b.n == 0 {
		return nil
	}
	e := b.e
	gso := !e.cfg.DisableGSO && !e.noGSO.Load()
	sent, refused, err, gsoErr := b.m.sendAll(b.n, gso)
	b.n = 0
	e.ctr.sent.Add(uint64(sent))
	e.ctr.sendE.Add(uint64(refused))
	if gsoErr != nil && e.noGSO.CompareAndSwap(false, true) {
		e.log.Warn("engine: UDP GSO refused, sending datagrams one by one", "err", gsoErr)
	}
	if err != nil {
		return fmt.Errorf("%w: sendmmsg: %w", ErrSocket, err)
	}
	return nil
}
