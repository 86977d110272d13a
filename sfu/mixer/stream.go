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
	buf     []byte // maxPayload, made on the first packet: most never send
	gap     bool   // frames were skipped as silence since the last packet
	skipped int    // silent frames skipped in a row
	// quiet is the encoding of a keep-alive frame of digital silence once
	// the encoder has settled into it (quietRun keep-alives in a row), sent
	// again for every later keep-alive of the same silent stretch instead of
	// encoding silence anew: an idle room then costs no encodes at all.
	quiet    []byte
	quietLen int // 0: no settled encoding yet
	quietRun int // keep-alives encoded in this silent stretch

	// Frames per packet (see packFrames); only the shared mix groups them.
	group   int
	frames  [][maxPayload]byte // nil while group is 1
	sizes   [maxGroup]int
	views   [maxGroup][]byte
	held    int
	heldTS  uint32
	samples uint32 // per frame
}

// maxGroup is the most 20 ms frames one packet carries (60 ms).
const maxGroup = 3

// dtxEvery is how often a silent stream still sends a frame: every 400 ms,
// as WebRTC's Opus DTX does, so that peers' RTP timeouts (a PBX hanging up
// on a SIP participant in a quiet room) and NAT bindings never fire.
const dtxEvery = 20

func newStream(out PacketWriter, enc Encoder, payloadType uint8) *stream {
	s := &stream{out: out, enc: enc, group: 1}
	s.pkt.Version = 2
	s.pkt.PayloadType = payloadType
	return s
}

// setGroup sets how many frames go into one packet (1..maxGroup); frames
// already held go out if the new group is smaller.
func (s *stream) setGroup(n int) {
	n = max(1, min(n, maxGroup))
	if n > 1 && s.frames == nil {
		s.frames = make([][maxPayload]byte, maxGroup)
	}
	if s.held >= n {
		s.flush()
	}
	s.group = n
}

// write encodes one frame and sends it, or holds it until the packet has
// group frames. With dtx, frames of pure digital silence (nobody in the
// mix) are sent only every dtxEvery, as in Opus DTX: the timestamp moves on, the
// sequence number does not, and the first packet after a gap carries the
// marker bit (RFC 3551 §4.1). An idle room thus costs almost no encodes or
// packets, and browsers conceal the gaps as silence. It reports whether
// the frame was encoded. frameTS is the frame's timestamp: the mixer's
// frame count times the frame size, the same for every stream of a mixer,
// so a receiver moved between the shared mix and its own mix-minus stays
// on one timeline.
func (s *stream) write(pcm []int16, frameTS, samples uint32, dtx bool) (bool, error) {
	silent := dtx && isSilence(pcm)
	if silent && s.skipped < dtxEvery-1 {
		s.flush() // what is held goes out before the gap
		s.gap, s.skipped = true, s.skipped+1
		return false, nil
	}
	s.skipped = 0
	if !silent {
		s.quietRun, s.quietLen = 0, 0
	} else if s.quietLen > 0 && s.held == 0 {
		s.send(frameTS, s.quiet[:s.quietLen])
		return false, nil
	}
	if s.buf == nil {
		s.buf = make([]byte, maxPayload)
	}
	if s.group <= 1 {
		n, err := s.enc.Encode(pcm, s.buf)
		if err != nil {
			return false, err
		}
		s.keepQuiet(silent, s.buf[:n])
		s.send(frameTS, s.buf[:n])
		return true, nil
	}
	n, err := s.enc.Encode(pcm, s.frames[s.held][:])
	if err != nil {
		return false, err
	}
	s.keepQuiet(silent, s.frames[s.held][:n])
	if s.held == 0 {
		s.heldTS = frameTS
	}
	s.sizes[s.held], s.samples = n, samples
	if s.held++; s.held >= s.group {
		s.flush()
	}
	return true, nil
}

// quietSettle is how many keep-alives of a silent stretch are encoded
// before the last one's bytes stand for the rest: by the second (400 ms of
// silence after the first) the encoder's state has decayed to silence.
const quietSettle = 2

// keepQuiet remembers the encoding of a keep-alive of digital silence once
// quietSettle of them were encoded in a row.
func (s *stream) keepQuiet(silent bool, frame []byte) {
	if !silent {
		return
	}
	if s.quietRun++; s.quietRun < quietSettle {
		return
	}
	if s.quiet == nil {
		s.quiet = make([]byte, maxPayload)
	}
	s.quietLen = copy(s.quiet, frame)
}

// flush sends the held frames: in one packet when they can share it, else
// one packet each.
func (s *stream) flush() {
	if s.held == 0 {
		return
	}
	views := s.views[:0]
	for i := range s.held {
		views = append(views, s.frames[i][:s.sizes[i]])
	}
	s.held = 0
	if n, ok := packFrames(s.buf, views); ok {
		s.send(s.heldTS, s.buf[:n])
		return
	}
	for i, v := range views {
		s.send(s.heldTS+uint32(i)*s.samples, v)
	}
}

// send forwards one packet at timestamp ts.
func (s *stream) send(ts uint32, payload []byte) {
	s.pkt.SequenceNumber++
	s.pkt.Timestamp = ts
	s.pkt.Marker, s.gap = s.gap, false
	s.pkt.Payload = payload
	s.out.Forward(&s.pkt)
}

func isSilence(pcm []int16) bool {
	for _, v := range pcm {
		if v != 0 {
			return false
		}
	}
	return true
}
