package mixer

import "github.com/pion/rtp"

// PacketWriter takes the mixer's RTP packets; sfu.UpTrack satisfies it, so
// a mixed stream is forwarded like any published track.
type PacketWriter interface {
	Forward(p *rtp.Packet)
}

// stream is one encoded output: the shared mix, or a talker's mix-minus.
type stream struct {
	out PacketWriter
	enc Encoder
	pkt rtp.Packet
	buf [maxPayload]byte
}

func newStream(out PacketWriter, enc Encoder, payloadType uint8) *stream {
	s := &stream{out: out, enc: enc}
	s.pkt.Version = 2
	s.pkt.PayloadType = payloadType
	return s
}

// write encodes one frame and forwards it as the next packet.
func (s *stream) write(pcm []int16, samples uint32) error {
	n, err := s.enc.Encode(pcm, s.buf[:])
	if err != nil {
		return err
	}
	s.pkt.SequenceNumber++
	s.pkt.Timestamp += samples
	s.pkt.Payload = s.buf[:n]
	s.out.Forward(&s.pkt)
	return nil
}
