package mixer

import "github.com/pion/rtp"

// PacketWriter takes the mixer's RTP packets; sfu.UpTrack satisfies it, so
// a mixed stream is forwarded like any published track.
type PacketWriter interface {
	Forward(p *rtp.Packet)
}

// stream is one encoded output: the shared mix, or a talker's mix-minus.
type stream struct {
	out     PacketWriter
	enc     Encoder
	pkt     rtp.Packet
	buf     [maxPayload]byte
	gap     bool // frames were skipped as silence since the last packet
	skipped int  // silent frames skipped in a row
}

// dtxEvery is how often a silent stream still sends a frame: every 400 ms,
// as WebRTC's Opus DTX does, so that peers' RTP timeouts (a PBX hanging up
// on a SIP participant in a quiet room) and NAT bindings never fire.
const dtxEvery = 20

func newStream(out PacketWriter, enc Encoder, payloadType uint8) *stream {
	s := &stream{out: out, enc: enc}
	s.pkt.Version = 2
	s.pkt.PayloadType = payloadType
	return s
}

// write encodes one frame and forwards it as the next packet. Frames of
// pure digital silence (nobody in the mix) are sent only every dtxEvery,
// as in Opus DTX: the timestamp moves on, the sequence number does not,
// and the first packet after a gap carries the marker bit (RFC 3551 §4.1).
// An idle room thus costs almost no encodes or packets, and browsers
// conceal the gaps as silence. It reports whether a packet went out.
func (s *stream) write(pcm []int16, samples uint32) (bool, error) {
	s.pkt.Timestamp += samples
	if isSilence(pcm) && s.skipped < dtxEvery-1 {
		s.gap, s.skipped = true, s.skipped+1
		return false, nil
	}
	s.skipped = 0
	n, err := s.enc.Encode(pcm, s.buf[:])
	if err != nil {
		return false, err
	}
	s.pkt.SequenceNumber++
	s.pkt.Marker, s.gap = s.gap, false
	s.pkt.Payload = s.buf[:n]
	s.out.Forward(&s.pkt)
	return true, nil
}

func isSilence(pcm []int16) bool {
	for _, v := range pcm {
		if v != 0 {
			return false
		}
	}
	return true
}
