package mixer

import (
	"sync/atomic"
)

// silentLevel is the RFC 6464 level of silence.
const silentLevel = 127

// Participant is one member of the mix: what they say (input) and what
// they hear (their own mix-minus stream while they are a talker).
type Participant struct {
	id    string
	jb    jitterBuffer
	dec   Decoder
	own   *stream
	route func(personal bool)

	level   atomic.Uint32 // last RFC 6464 level pushed
	packets atomic.Uint64 // packets pushed, to notice a sender that stopped
	muted   atomic.Bool

	// Tick state, touched only by the mixer tick.
	seenPackets uint64
	quietTicks  int
	lastActive  int64 // tick number the participant was last active
	talker      bool
	prevTalker  bool
	rank        uint8 // level this tick
	pcm         []int16
}

// NewParticipant creates a participant. personal receives their mix-minus
// stream; route is called from the tick, before any frame is written, with
// true when they become a talker (switch their receiver to personal) and
// false when they stop (switch it to the shared stream).
func NewParticipant(id string, personal PacketWriter, route func(personal bool)) *Participant {
	p := &Participant{id: id, route: route, lastActive: -1 << 40}
	p.own = newStream(personal, nil, 0)
	p.level.Store(silentLevel)
	return p
}

// ID identifies the participant.
func (p *Participant) ID() string { return p.id }

// Push queues one received audio packet with its RFC 6464 level. It is
// called from the participant's read loop and never blocks on the mixer.
func (p *Participant) Push(seq uint16, payload []byte, level uint8) {
	p.level.Store(uint32(level))
	p.packets.Add(1)
	p.jb.push(seq, payload)
}

// SetMuted excludes the participant from the mix (and from talker choice).
func (p *Participant) SetMuted(m bool) { p.muted.Store(m) }

// Muted reports whether the participant is excluded from the mix.
func (p *Participant) Muted() bool { return p.muted.Load() }

func (p *Participant) wasTalker() bool { return p.prevTalker }

// Talker reports whether the participant was decoded in the last tick.
func (p *Participant) Talker() bool { return p.talker }

// currentLevel is the level to rank by; a sender that stopped sending for
// a few ticks counts as silent.
func (p *Participant) currentLevel() uint8 {
	if n := p.packets.Load(); n != p.seenPackets {
		p.seenPackets, p.quietTicks = n, 0
	} else {
		p.quietTicks++
	}
	if p.quietTicks > 3 || p.muted.Load() {
		return silentLevel
	}
	return uint8(p.level.Load())
}

// decode fills p.pcm with the next frame: decoded, concealed, or silence.
// payload is the tick's scratch (one for all participants: they are
// decoded one after another).
func (p *Participant) decode(payload *[maxPayload]byte) error {
	n, res := p.jb.pop(payload[:])
	var err error
	switch res {
	case popGot:
		_, err = p.dec.Decode(payload[:n], p.pcm)
	case popLost:
		next := p.jb.peekNext(payload[:])
		_, err = p.dec.DecodeLoss(payload[:next], p.pcm)
	case popConceal:
		_, err = p.dec.DecodeLoss(nil, p.pcm)
	default:
		clear(p.pcm)
	}
	if err != nil {
		clear(p.pcm)
	}
	return err
}
