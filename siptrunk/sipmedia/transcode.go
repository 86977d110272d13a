package sipmedia

import (
	"math/rand/v2"
	"sync"

	"github.com/pion/rtp"

	"xphone/audiolevel"
	"xphone/sfu"
	"xphone/sfu/codec"
)

// Payload types on the sfu side: Opus as browsers negotiate it (sfu
// mediaapi), telephone-event as declared on the UpTrack.
const (
	opusPT         = 111
	upDTMFPT       = 101
	audioLevelExt  = 1
	opusFrameTicks = codec.OpusFrameSamples
)

// Upstream turns the peer's audio into Opus packets with RFC 6464 levels
// on an UpTrack. G.711: reorder → decode → 8k→48k → level → Opus encode →
// Forward. Opus on the trunk: reorder → decode (only for the level) →
// Forward the peer's payload unchanged. It runs on the media read loop.
type Upstream struct {
	mu      sync.Mutex // the read loop and SIP INFO both feed up
	up      *sfu.UpTrack
	opus    bool // the trunk carries Opus: pass through
	dec     codec.Decoder
	enc     codec.Encoder
	dtmfPT  uint8
	hasDTMF bool
	jb      jitterBuffer
	rs      codec.Resampler
	pcm8    []int16
	pcm48   []int16
	pending []int16 // 48 kHz samples waiting for a full 20 ms frame
	out     []byte
	pkt     rtp.Packet
	lvl     [1]byte // the level extension's payload, reused
	infoTS  uint32
	process func(*rtp.Packet) // u.decodeUp, bound once (no per-packet closure)

	// Silent gaps from the peer (VAD/CN, Opus DTX; see noteGap).
	peerStarted bool
	peerNext    uint32 // the peer's timestamp expected next, in its clock
	gapTicks    uint32 // 48 kHz ticks to add to the next packet
	tickRatio   uint32 // 48 kHz ticks per tick of the peer's clock
}

// NewUpstream returns the pipeline for the negotiated codec c.
func NewUpstream(up *sfu.UpTrack, c Codec) (*Upstream, error) {
	u := &Upstream{up: up, opus: c.IsOpus(), dtmfPT: c.DTMFPayloadType, hasDTMF: c.HasDTMF,
		pcm8: make([]int16, codec.MaxG711Samples), out: make([]byte, codec.MaxOpusPayload),
		pcm48: make([]int16, max(6*codec.MaxG711Samples, codec.MaxOpusFrameSamples(codec.OpusSampleRate)))}
	var err error
	if u.opus {
		u.dec, err = codec.NewOpusDecoder(codec.OpusSampleRate, 1)
	} else {
		u.enc, err = codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
		u.dec = codec.NewPCMUDecoder()
		if c.Name == "pcma" {
			u.dec = codec.NewPCMADecoder()
		}
	}
	if err != nil {
		return nil, err
	}
	u.tickRatio = codec.OpusSampleRate / 8000
	if u.opus {
		u.tickRatio = 1
	}
	u.pkt.Version, u.pkt.PayloadType, u.pkt.SSRC = 2, opusPT, rand.Uint32()
	u.pkt.SequenceNumber = uint16(rand.Uint32())
	u.process = u.decodeUp
	up.SetAudioLevelExtension(audioLevelExt)
	up.SetDTMFPayloadTypes([]uint8{upDTMFPT})
	return u, nil
}

// Handle takes one packet from the peer (valid only during the call) and
// puts it through the jitter buffer.
func (u *Upstream) Handle(p *rtp.Packet) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.jb.push(p, u.process)
}

// decodeUp handles one packet in sequence order.
func (u *Upstream) decodeUp(p *rtp.Packet) {
	if u.hasDTMF && p.PayloadType == u.dtmfPT {
		pt := p.PayloadType
		p.PayloadType = upDTMFPT
		u.up.Forward(p)
		p.PayloadType = pt
		return
	}
	if u.opus {
		u.passOpus(p)
		return
	}
	if len(p.Payload) == 0 || len(p.Payload) > codec.MaxG711Samples {
		return
	}
	n, err := u.dec.Decode(p.Payload, u.pcm8)
	if err != nil {
		return
	}
	u.noteGap(p.Timestamp, uint32(n))
	m := u.rs.Upsample8to48(u.pcm48, u.pcm8[:n])
	u.pending = append(u.pending, u.pcm48[:m]...)
	for len(u.pending) >= codec.OpusFrameSamples {
		u.emit(u.pending[:codec.OpusFrameSamples])
		u.pending = append(u.pending[:0], u.pending[codec.OpusFrameSamples:]...)
	}
}

// passOpus forwards the peer's Opus payload as is, with the level of its
// decoded audio so speaker detection works as for G.711 callers.
func (u *Upstream) passOpus(p *rtp.Packet) {
	if len(p.Payload) == 0 {
		return
	}
	n, err := u.dec.Decode(p.Payload, u.pcm48)
	if err != nil || n == 0 {
		return
	}
	u.noteGap(p.Timestamp, uint32(n))
	u.forward(p.Payload, audiolevel.FromPCM(u.pcm48[:n]), uint32(n))
}

// emit encodes one 20 ms frame and forwards it with its level.
func (u *Upstream) emit(frame []int16) {
	level := audiolevel.FromPCM(frame)
	n, err := u.enc.Encode(frame, u.out)
	if err != nil {
		return
	}
	u.forward(u.out[:n], level, opusFrameTicks)
}

// forward sends one Opus payload lasting ticks (48 kHz) with its level
// on our own continuous sequence numbers and timestamps.
func (u *Upstream) forward(payload []byte, level uint8, ticks uint32) {
	u.pkt.SequenceNumber++
	u.pkt.Timestamp += ticks + u.gapTicks
	u.pkt.Marker, u.gapTicks = u.gapTicks > 0, 0
	u.pkt.Payload = payload
	u.pkt.Header.Extension, u.pkt.Header.Extensions = false, u.pkt.Header.Extensions[:0]
	u.lvl[0] = audiolevel.MarshalExtension(level, level < 127)
	_ = u.pkt.Header.SetExtension(audioLevelExt, u.lvl[:])
	u.up.Forward(&u.pkt)
}

// noteGap notices a silent gap before the peer's packet at ts lasting dur
// (its clock): a phone with VAD, or Opus DTX, sends nothing while its user
// is silent. The gap reaches the room as a timestamp jump with the marker
// bit, so browsers see silence rather than packets arriving late.
func (u *Upstream) noteGap(ts, dur uint32) {
	if u.peerStarted {
		if gap := ts - u.peerNext; gap > 0 && gap < maxGap/u.tickRatio {
			u.gapTicks += gap * u.tickRatio
		}
	}
	u.peerStarted, u.peerNext = true, ts+dur
}

// InjectDTMF feeds a key received by SIP INFO to the UpTrack.
func (u *Upstream) InjectDTMF(d rune) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.infoTS += 8000
	u.up.Forward(dtmfPacket(d, u.infoTS))
}
