package sfu

import (
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

type countSink struct{ n int }

func (s *countSink) WriteRTP(*UpTrack, *rtp.Packet) { s.n++ }

// cascadePair is a sending node's sink and a receiving node's Cascade
// with the matching key, the received stream on up.
func cascadePair(b *testing.B, kind Kind) (*cascadeSink, *Cascade, *UpTrack, netip.AddrPort) {
	b.Helper()
	rx, err := NewCascade("127.0.0.1:0", testLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rx.Close)
	tx, err := NewCascade("127.0.0.1:0", testLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tx.Close)
	key, err := NewCascadeKey()
	if err != nil {
		b.Fatal(err)
	}
	if err := rx.Accept(tx.Addr(), key); err != nil {
		b.Fatal(err)
	}
	sink, err := newCascadeSink(tx, rx.Addr(), key, 1234, kind)
	if err != nil {
		b.Fatal(err)
	}
	sink.on.Store(true)
	mime := opusCodec.MimeType
	if kind == Video {
		mime = "video/VP8"
	}
	up := NewUpTrack("remote", kind, mime)
	up.SetAudioLevelExtension(cascadeLevelExt)
	rx.route(1234, up)
	return sink, rx, up, tx.Addr()
}

// BenchmarkCascadeSend is one packet leaving for another node: header
// rewrite, SRTP (AES-128-GCM) and the socket write.
func BenchmarkCascadeSend(b *testing.B) {
	for _, kind := range []Kind{Audio, Video} {
		b.Run(kind.String(), func(b *testing.B) {
			sink, _, _, _ := cascadePair(b, kind)
			src := NewUpTrack("local", kind, opusCodec.MimeType)
			p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}, Payload: make([]byte, payloadSize(kind))}
			b.ReportAllocs()
			b.SetBytes(int64(len(p.Payload)))
			for i := 0; b.Loop(); i++ {
				p.SequenceNumber, p.Timestamp = uint16(i), uint32(i*960)
				sink.WriteRTP(src, p)
			}
		})
	}
}

func payloadSize(k Kind) int {
	if k == Video {
		return 1100
	}
	return 80
}

// BenchmarkCascadeReceive is one packet arriving from another node:
// decrypt in place, parse, forward to the remote member's track (the
// encryption that produced it is outside the timer's share only in
// bytes: both run per iteration, as on a relaying host).
func BenchmarkCascadeReceive(b *testing.B) {
	sink, rx, up, from := cascadePair(b, Audio)
	out := &countSink{}
	up.Subscribe(out)
	plain := make([]byte, 1500)
	buf := make([]byte, 1600)
	var p rtp.Packet
	hdr := rtp.Header{Version: 2, PayloadType: 111, SSRC: 1234}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		hdr.SequenceNumber, hdr.Timestamp = uint16(i), uint32(i*960)
		n, _ := hdr.MarshalTo(plain)
		enc, err := sink.st.ctx.EncryptRTP(buf[:0], plain[:n+80], &sink.enc)
		if err != nil {
			b.Fatal(err)
		}
		rx.receive(enc, from, &p)
	}
	if out.n == 0 {
		b.Fatal("nothing forwarded")
	}
}
