package sfu

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"xphone/audiolevel"
	"xphone/sfu/codec"
)

// RTPSink receives forwarded packets. WriteRTP must not block and must not
// keep p or its payload after it returns: the caller reuses both.
type RTPSink interface {
	WriteRTP(src *UpTrack, p *rtp.Packet)
}

// keyframeInterval limits how often a source is asked for a keyframe, so a
// burst of PLIs from many subscribers becomes one request.
const keyframeInterval = 300 * time.Millisecond

// UpTrack is one track a leg publishes. Its read loop calls Forward for every
// packet; Forward hands the packet to every subscriber from a copy-on-write
// snapshot, so subscribing never blocks the packet path.
type UpTrack struct {
	id    string
	kind  Kind
	mime  string
	rid   string     // simulcast layer name; "" without simulcast
	layer int        // simulcast layer, 0 = lowest; 0 without simulcast
	subMu sync.Mutex // serialises writers of subs
	subs  atomic.Pointer[[]RTPSink]

	keyframe      atomic.Pointer[func()]
	lastKeyframe  atomic.Int64 // unix nanos of the last request sent
	levelExtID    atomic.Uint32
	level         atomic.Uint32 // last RFC 6464 level, 127 = silence
	packets       atomic.Uint64
	bytes         atomic.Uint64
	keyframeAsked atomic.Uint64
	bitrate       atomic.Int64 // bits/s, measured by the room's ticker
	measured      uint64       // bytes at the last measurement; owner: the room goroutine

	// The packet being forwarded: when it arrived (monoNow) and how much
	// media it carries in RTP clock units (Opus frames; 0 for video).
	// Written by Forward before the fan-out, read by subscribers within it.
	arrival int64
	dur     uint32
	// timeline names the timestamp domain of the track's packets when it
	// is shared with other tracks (one room's mixed streams): a subscriber
	// switched between such tracks keeps its timestamp offset.
	timeline string

	// DTMF: payload types of telephone-event, fixed before the read loop
	// starts; the receiver state is touched only by the read loop.
	dtmfPTs []uint8
	dtmf    dtmfReceiver
	onDigit atomic.Pointer[func(rune)]

	// batch is the engine read goroutine's batch when that goroutine is
	// the only one that forwards this track (a browser leg's tracks); its
	// browser viewers queue the packet there (webrtcleg_batch.go).
	batch *readBatch

	// cache keeps the last packets of a video track for its viewers'
	// retransmission requests (retransmit.go); nil for audio.
	cache *packetCache
}

// NewUpTrack returns a track of kind with the given codec MIME type.
func NewUpTrack(id string, kind Kind, mime string) *UpTrack {
	u := &UpTrack{id: id, kind: kind, mime: mime}
	if kind == Video {
		u.cache = &packetCache{}
	}
	u.subs.Store(&[]RTPSink{})
	u.level.Store(uint32(audiolevel.Silence))
	return u
}

// ID identifies the track within its leg.
func (u *UpTrack) ID() string { return u.id }

// Kind is audio or video.
func (u *UpTrack) Kind() Kind { return u.kind }

// RID is the simulcast layer name, "" for a track without simulcast.
func (u *UpTrack) RID() string { return u.rid }

// Layer is the simulcast layer, 0 being the lowest.
func (u *UpTrack) Layer() int { return u.layer }

// MimeType is the codec, e.g. "video/VP8".
func (u *UpTrack) MimeType() string { return u.mime }

// Packets counts packets forwarded from this track.
func (u *UpTrack) Packets() uint64 { return u.packets.Load() }

// Flowing reports whether packets arrived during the last measurement.
func (u *UpTrack) Flowing() bool { return u.bitrate.Load() > 0 }

// Bitrate is the track's measured payload bitrate in bits/s.
func (u *UpTrack) Bitrate() int { return int(u.bitrate.Load()) }

// measure updates Bitrate from the bytes seen over the last seconds.
func (u *UpTrack) measure(seconds float64) {
	b := u.bytes.Load()
	u.bitrate.Store(int64(float64(b-u.measured) * 8 / seconds))
	u.measured = b
}

// Level is the last RFC 6464 audio level seen (0 loud … 127 silent).
func (u *UpTrack) Level() uint8 { return uint8(u.level.Load()) }

// SetAudioLevelExtension sets the negotiated header extension id of RFC 6464
// levels on this track; 0 disables parsing.
func (u *UpTrack) SetAudioLevelExtension(id uint8) { u.levelExtID.Store(uint32(id)) }

// SetKeyframeFunc installs how to ask the source for a keyframe (a PLI).
func (u *UpTrack) SetKeyframeFunc(f func()) { u.keyframe.Store(&f) }

// Subscribe adds s to the receivers of this track.
func (u *UpTrack) Subscribe(s RTPSink) {
	u.subMu.Lock()
	defer u.subMu.Unlock()
	old := *u.subs.Load()
	for _, have := range old {
		if have == s {
			return
		}
	}
	next := make([]RTPSink, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	u.subs.Store(&next)
}

// Unsubscribe removes s; it is a no-op when s is not subscribed.
func (u *UpTrack) Unsubscribe(s RTPSink) {
	u.subMu.Lock()
	defer u.subMu.Unlock()
	old := *u.subs.Load()
	next := make([]RTPSink, 0, len(old))
	for _, have := range old {
		if have != s {
			next = append(next, have)
		}
	}
	u.subs.Store(&next)
}

// Subscribers is the number of current subscribers.
func (u *UpTrack) Subscribers() int { return len(*u.subs.Load()) }

// SetDTMFPayloadTypes names the telephone-event payload types of this
// track; call it before packets flow.
func (u *UpTrack) SetDTMFPayloadTypes(pts []uint8) { u.dtmfPTs = pts }

// OnDTMF installs what happens with each key the party presses.
func (u *UpTrack) OnDTMF(f func(digit rune)) { u.onDigit.Store(&f) }

// Forward is the per-packet step: note the audio level, then give p to every
// subscriber. It allocates nothing and takes no lock. Telephone-events are
// decoded into key presses instead of being forwarded: payload types are
// per leg, and the other side may not even speak RTP (SIP INFO).
func (u *UpTrack) Forward(p *rtp.Packet) { u.forwardAt(p, monoNow()) }

// forwardAt is Forward for a packet that arrived at at (tests set it).
func (u *UpTrack) forwardAt(p *rtp.Packet, at int64) {
	if len(u.dtmfPTs) > 0 && slices.Contains(u.dtmfPTs, p.PayloadType) {
		if d := u.dtmf.digit(p.Timestamp, p.Payload); d != 0 {
			if f := u.onDigit.Load(); f != nil {
				(*f)(d)
			}
		}
		return
	}
	u.packets.Add(1)
	u.bytes.Add(uint64(len(p.Payload)))
	u.arrival = at
	if u.kind == Audio {
		u.dur = codec.OpusPacketSamples(p.Payload)
	}
	if u.cache != nil {
		u.cache.store(p)
	}
	if id := u.levelExtID.Load(); id != 0 {
		if level, _, err := audiolevel.ParseExtension(p.GetExtension(uint8(id))); err == nil {
			u.level.Store(uint32(level))
		}
	}
	for _, s := range *u.subs.Load() {
		s.WriteRTP(u, p)
	}
}

// releaseCache gives the memory of the track's retransmission cache back
// when its packets stop (the remote track ended); packets arriving later
// take it again.
func (u *UpTrack) releaseCache() {
	if u.cache != nil {
		u.cache.release()
	}
}

// RequestKeyframe asks the source for a keyframe, at most once per
// keyframeInterval.
func (u *UpTrack) RequestKeyframe() {
	f := u.keyframe.Load()
	if f == nil || u.kind != Video {
		return
	}
	now := time.Now().UnixNano()
	last := u.lastKeyframe.Load()
	if now-last < int64(keyframeInterval) || !u.lastKeyframe.CompareAndSwap(last, now) {
		return
	}
	u.keyframeAsked.Add(1)
	(*f)()
}
