package engine

import (
	"fmt"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// sealRTP marshals pkt into slot (cap ≥ its size + maxTag) and encrypts it
// in place with p's local context; hdr is the caller's scratch header.
func (p *Peer) sealRTP(k *cryptoState, slot []byte, pkt *rtp.Packet, hdr *rtp.Header) ([]byte, error) {
	n, err := pkt.MarshalTo(slot[:cap(slot)])
	if err != nil {
		return nil, fmt.Errorf("engine: marshal rtp: %w", err)
	}
	p.sendMu.Lock()
	out, err := k.local.EncryptRTP(slot[:n], slot[:n], hdr)
	p.sendMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("engine: encrypt rtp: %w", err)
	}
	return out, nil
}

// sealRTCP copies raw into slot and encrypts it in place.
func (p *Peer) sealRTCP(k *cryptoState, slot, raw []byte, hdr *rtcp.Header) ([]byte, error) {
	n := copy(slot[:cap(slot)], raw)
	p.sendMu.Lock()
	out, err := k.local.EncryptRTCP(slot[:n], slot[:n], hdr)
	p.sendMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("engine: encrypt rtcp: %w", err)
	}
	return out, nil
}

// scratch is what one unbatched write needs; pooled because WriteRTP may
// be called from any goroutine.
type scratch struct {
	buf     [slotSize]byte
	hdr     rtp.Header
	rtcpHdr rtcp.Header
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// sendState returns p's address and keys, or ErrNotReady.
func (p *Peer) sendState() (*peerAddr, *cryptoState, error) {
	a, k := p.addr.Load(), p.keys.Load()
	if a == nil || k == nil {
		return nil, nil, ErrNotReady
	}
	return a, k, nil
}

// WriteRTP encrypts and sends one packet to p now, with one sendto: the
// convenience for a caller with nothing to batch (a Batch saves a little
// per datagram when there are several). Safe for concurrent use.
func (p *Peer) WriteRTP(pkt *rtp.Packet) error {
	a, k, err := p.sendState()
	if err != nil {
		return err
	}
	if pkt.MarshalSize()+maxTag > slotSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, pkt.MarshalSize())
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	out, err := p.sealRTP(k, s.buf[:], pkt, &s.hdr)
	if err != nil {
		return err
	}
	return p.send(a, out)
}

// WriteRTCP encrypts and sends one (compound) RTCP packet to p now.
func (p *Peer) WriteRTCP(raw []byte) error {
	a, k, err := p.sendState()
	if err != nil {
		return err
	}
	if len(raw)+maxTag > slotSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(raw))
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	out, err := p.sealRTCP(k, s.buf[:], raw, &s.rtcpHdr)
	if err != nil {
		return err
	}
	return p.send(a, out)
}

func (p *Peer) send(a *peerAddr, b []byte) error {
	if _, _, err := p.e.conn.WriteMsgUDPAddrPort(b, a.sa.oob(), a.ap); err != nil {
		p.e.ctr.sendE.Add(1)
		return fmt.Errorf("%w: sendto: %w", ErrSocket, err)
	}
	p.e.ctr.sent.Add(1)
	return nil
}
