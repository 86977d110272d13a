package mixer

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrConfig reports an unusable mixer configuration.
var ErrConfig = errors.New("mixer: invalid config")

// Config sets the mix.
type Config struct {
	TopK      int   // talkers decoded per tick (default 3)
	Frame     int   // samples per tick and channel (960 = 20 ms at 48 kHz)
	Threshold uint8 // RFC 6464 level at or below which a participant is talking
	HoldTicks int   // ticks a talker stays selected after falling quiet (hysteresis)
	PT        uint8 // RTP payload type written on output packets
	// SharedFrames is how many frames one packet of the shared mix (what
	// everyone who is not talking hears) carries: 1, 2 or 3, or 0 to follow
	// the room's size (AutoSharedFrames). More means fewer packets to
	// encrypt and send per listener, and Frame·(SharedFrames-1) more delay
	// for listeners only.
	SharedFrames int
	// NoDTX sends every frame of every stream, pure silence included
	// (policy.mixer.dtx: false). By default a silent stream sends one
	// frame per dtxEvery, as Opus DTX does.
	NoDTX bool
}

// Stats counts the mixer's work, for tests, metrics and benchmarks.
type Stats struct {
	Ticks, Decodes, Encodes, Errors atomic.Uint64
}

// Mixer mixes the K loudest participants of one room.
type Mixer struct {
	cfg    Config
	shared *stream
	Stats  Stats

	mu    sync.Mutex // guards parts changes; Tick reads a snapshot
	parts atomic.Pointer[[]*Participant]
	// threshold mirrors cfg.Threshold for Talking, which read loops call.
	threshold atomic.Uint32

	// Tick state.
	coders  Coders
	spare   coderPool
	tick    int64
	loss    int // percent the encoders' FEC is set for (fec.go)
	talkers []*Participant
	total   []int32
	out     []int16
	payload [maxPayload]byte // a talker's packet being decoded
	// An announcement being mixed in (Announce), and how much of it is out.
	announce  []int16
	announced int
}

// New returns a mixer whose shared stream (the mix of all talkers, for
// everyone who is not one) is written to shared; coders makes the Opus
// decoders and encoders.
func New(cfg Config, coders Coders, shared PacketWriter) (*Mixer, error) {
	if cfg.TopK == 0 {
		cfg.TopK = 3
	}
	if cfg.Frame == 0 {
		cfg.Frame = 960
	}
	if cfg.TopK < 1 || cfg.Frame < 1 || cfg.Threshold > silentLevel || cfg.HoldTicks < 0 ||
		cfg.SharedFrames < 0 || cfg.SharedFrames > maxGroup {
		return nil, ErrConfig
	}
	enc, err := coders.NewEncoder()
	if err != nil {
		return nil, err
	}
	m := &Mixer{cfg: cfg, shared: newStream(shared, enc, cfg.PT), coders: coders,
		total: make([]int32, cfg.Frame), out: make([]int16, cfg.Frame)}
	m.shared.setGroup(cfg.SharedFrames)
	m.parts.Store(&[]*Participant{})
	m.threshold.Store(uint32(cfg.Threshold))
	return m, nil
}

// Add puts p into the mix.
func (m *Mixer) Add(p *Participant) {
	p.own.pkt.PayloadType = m.cfg.PT
	m.mu.Lock()
	defer m.mu.Unlock()
	next := append(slices.Clone(*m.parts.Load()), p)
	m.parts.Store(&next)
}

// Remove takes p out of the mix; it is no longer routed or decoded.
func (m *Mixer) Remove(p *Participant) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*m.parts.Load()), func(q *Participant) bool { return q == p })
	m.parts.Store(&next)
}

// Len is the number of participants.
func (m *Mixer) Len() int { return len(*m.parts.Load()) }

// SetConfig changes TopK, Threshold, HoldTicks, SharedFrames and NoDTX of
// a live mixer (a policy reload); Frame and PT stay. Call it from the
// goroutine that ticks.
func (m *Mixer) SetConfig(cfg Config) error {
	if cfg.TopK < 1 || cfg.Threshold > silentLevel || cfg.HoldTicks < 0 ||
		cfg.SharedFrames < 0 || cfg.SharedFrames > maxGroup {
		return ErrConfig
	}
	m.cfg.TopK, m.cfg.Threshold, m.cfg.HoldTicks = cfg.TopK, cfg.Threshold, cfg.HoldTicks
	m.threshold.Store(uint32(cfg.Threshold))
	m.cfg.SharedFrames, m.cfg.NoDTX = cfg.SharedFrames, cfg.NoDTX
	m.shared.setGroup(cfg.SharedFrames)
	return nil
}
