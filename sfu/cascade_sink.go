package sfu

import (
	"net/netip"
	"sync/atomic"

	"github.com/pion/rtp"

	"xphone/audiolevel"
)

// cascadeSink sends one track to one other node. It is subscribed to the
// track, so its WriteRTP runs on the one goroutine forwarding the track:
// its buffers and SRTP context need no lock. Nothing is allocated per
// packet.
type cascadeSink struct {
	c    *Cascade
	to   netip.AddrPort
	ssrc uint32
	kind Kind
	st   *cascadeStream
	hdr  rtp.Header
	ext  [1]byte
	enc  rtp.Header // scratch for EncryptRTP's parse
	buf  []byte     // plaintext
	out  []byte     // ciphertext
	// on gates an audio track: only the room's top talkers cross nodes.
	on    atomic.Bool
	sent  atomic.Uint64
	bytes atomic.Uint64
}

func newCascadeSink(c *Cascade, to netip.AddrPort, key CascadeKey, ssrc uint32, kind Kind) (*cascadeSink, error) {
	st, err := c.stream(ssrc, key)
	if err != nil {
		return nil, err
	}
	s := &cascadeSink{c: c, to: to, ssrc: ssrc, kind: kind, st: st,
		buf: make([]byte, 1500), out: make([]byte, 0, 1600)}
	s.hdr.Version = 2
	s.hdr.SSRC = ssrc
	if kind == Audio {
		s.ext[0] = audiolevel.Silence
		// The header keeps s.ext as the extension's payload: WriteRTP
		// updates the level in place.
		if err := s.hdr.SetExtension(cascadeLevelExt, s.ext[:]); err != nil {
			return nil, wrapf(err, "cascade level extension")
		}
	} else {
		s.on.Store(true)
	}
	return s, nil
}

// WriteRTP implements RTPSink: rewrite the header (our SSRC, the level
// on our extension id), encrypt, send.
func (s *cascadeSink) WriteRTP(src *UpTrack, p *rtp.Packet) {
	seq, ok := s.st.next(p.SequenceNumber) // also while gated: see next
	if !ok || !s.on.Load() {
		return
	}
	s.hdr.PayloadType, s.hdr.SequenceNumber, s.hdr.Timestamp, s.hdr.Marker =
		p.PayloadType, seq, p.Timestamp, p.Marker
	if s.kind == Audio {
		l := src.Level()
		s.ext[0] = audiolevel.MarshalExtension(l, l < audiolevel.Silence)
	}
	n, err := s.hdr.MarshalTo(s.buf)
	if err != nil || n+len(p.Payload) > len(s.buf) {
		s.c.Dropped.Add(1)
		return
	}
	n += copy(s.buf[n:], p.Payload)
	out, err := s.st.ctx.EncryptRTP(s.out[:0], s.buf[:n], &s.enc)
	if err != nil {
		s.c.Dropped.Add(1)
		return
	}
	if _, err := s.c.conn.WriteToUDPAddrPort(out, s.to); err != nil {
		s.c.Dropped.Add(1)
		return
	}
	s.sent.Add(1)
	s.bytes.Add(uint64(len(out)))
	s.c.SentBytes.Add(uint64(len(out)))
}
