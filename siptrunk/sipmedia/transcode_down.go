package sipmedia

import (
	"sync"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
)

// Downstream is the DownTrack's writer: Opus from the room → the peer.
// G.711 trunks: decode → 48k→8k → G.711 in 20 ms frames. Opus trunks: the
// payload passes through. Our media back-end numbers and timestamps the
// packets itself, so a source switch in the sfu (shared mix ↔ personal
// mix, other encoders) never shows the peer a timestamp jump.
// WriteRTP is called on the forwarding path; it never blocks on the
// network (UDP writes).
type Downstream struct {
	mu      sync.Mutex
	media   Session
	opus    bool
	dec     codec.Decoder
	enc     codec.Encoder
	rs      codec.Resampler
	pcm48   []int16
	pcm8    []int16
	pending []int16
	out     []byte

	// Silent gaps (see skipGap): the previous packet's timestamp and
	// length in 48 kHz ticks, and 48 kHz ticks per tick of the trunk's clock.
	started     bool
	lastTS      uint32
	lastSamples uint32
	tickRatio   uint32
}

// maxGap bounds a silent gap passed on (30 s at 48 kHz): anything larger is
// a timestamp discontinuity, not silence.
const maxGap = 30 * 48000

// NewDownstream returns the writer for codec c on m.
func NewDownstream(m Session, c Codec) (*Downstream, error) {
	if c.IsOpus() {
		return &Downstream{media: m, opus: true, tickRatio: 1}, nil
	}
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, 1)
	if err != nil {
		return nil, err
	}
	enc := codec.NewPCMUEncoder()
	if c.Name == "pcma" {
		enc = codec.NewPCMAEncoder()
	}
	return &Downstream{media: m, dec: dec, enc: enc, tickRatio: codec.OpusSampleRate / 8000, pcm48: make([]int16, codec.MaxOpusFrameSamples(codec.OpusSampleRate)),
		pcm8: make([]int16, codec.MaxG711Samples), out: make([]byte, codec.G711FrameSamples)}, nil
}

// WriteRTP sends one Opus packet on, transcoded if the trunk needs it.
func (d *Downstream) WriteRTP(p *rtp.Packet) error {
	if len(p.Payload) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opus {
		n := codec.OpusPacketSamples(p.Payload)
		if n == 0 {
			return nil
		}
		d.skipGap(p.Timestamp, n)
		return d.media.WriteAudio(p.Payload, n)
	}
	n, err := d.dec.Decode(p.Payload, d.pcm48)
	if err != nil {
		return err
	}
	d.skipGap(p.Timestamp, uint32(n))
	m := d.rs.Downsample48to8(d.pcm8, d.pcm48[:n])
	d.pending = append(d.pending, d.pcm8[:m]...)
	for len(d.pending) >= codec.G711FrameSamples {
		k, err := d.enc.Encode(d.pending[:codec.G711FrameSamples], d.out)
		d.pending = append(d.pending[:0], d.pending[codec.G711FrameSamples:]...)
		if err != nil {
			return err
		}
		if err := d.media.WriteAudio(d.out[:k], codec.G711FrameSamples); err != nil {
			return err
		}
	}
	return nil
}

// skipGap passes a silent gap before a packet at ts on to the back-end: a
// browser using Opus DTX, or a quiet room's mix, sends nothing for a while
// and its timestamps say how long. Without this the peer would get
// contiguous timestamps on packets arriving hundreds of milliseconds apart
// and grow its jitter buffer (delay) to match.
func (d *Downstream) skipGap(ts, samples uint32) {
	if d.started {
		if gap := ts - (d.lastTS + d.lastSamples); gap > 0 && gap < maxGap {
			d.media.SkipAudio(gap / d.tickRatio)
		}
	}
	d.started, d.lastTS, d.lastSamples = true, ts, samples
}
