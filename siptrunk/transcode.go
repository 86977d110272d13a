package siptrunk

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

// upstream turns the peer's G.711 into Opus packets on an UpTrack:
// decode → 8k→48k → RFC 6464 level → Opus encode → Forward. It runs on the
// media read loop only.
type upstream struct {
	mu      sync.Mutex // the read loop and SIP INFO both feed up
	up      *sfu.UpTrack
	dec     codec.Decoder
	enc     codec.Encoder
	dtmfPT  uint8
	rs      codec.Resampler
	pcm8    []int16
	pcm48   []int16
	pending []int16 // 48 kHz samples waiting for a full 20 ms frame
	out     []byte
	pkt     rtp.Packet
	infoTS  uint32
}

// newUpstream returns the pipeline for codec c whose telephone-events
// arrive with payload type dtmfPT.
func newUpstream(up *sfu.UpTrack, c audioCodec, dtmfPT uint8) (*upstream, error) {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		return nil, err
	}
	dec := codec.NewPCMUDecoder()
	if c.Name == "pcma" {
		dec = codec.NewPCMADecoder()
	}
	u := &upstream{up: up, dec: dec, enc: enc, dtmfPT: dtmfPT, pcm8: make([]int16, codec.MaxG711Samples),
		pcm48: make([]int16, 6*codec.MaxG711Samples), out: make([]byte, codec.MaxOpusPayload)}
	u.pkt.Version, u.pkt.PayloadType, u.pkt.SSRC = 2, opusPT, rand.Uint32()
	u.pkt.SequenceNumber = uint16(rand.Uint32())
	up.SetAudioLevelExtension(audioLevelExt)
	up.SetDTMFPayloadTypes([]uint8{upDTMFPT})
	return u, nil
}

// handle takes one packet from the peer.
func (u *upstream) handle(p *rtp.Packet) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if p.PayloadType == u.dtmfPT {
		p.PayloadType = upDTMFPT
		u.up.Forward(p)
		return
	}
	if len(p.Payload) == 0 || len(p.Payload) > codec.MaxG711Samples {
		return
	}
	n, err := u.dec.Decode(p.Payload, u.pcm8)
	if err != nil {
		return
	}
	m := u.rs.Upsample8to48(u.pcm48, u.pcm8[:n])
	u.pending = append(u.pending, u.pcm48[:m]...)
	for len(u.pending) >= codec.OpusFrameSamples {
		u.emit(u.pending[:codec.OpusFrameSamples])
		u.pending = append(u.pending[:0], u.pending[codec.OpusFrameSamples:]...)
	}
}

// emit encodes one 20 ms frame and forwards it with its level.
func (u *upstream) emit(frame []int16) {
	level := audiolevel.FromPCM(frame)
	n, err := u.enc.Encode(frame, u.out)
	if err != nil {
		return
	}
	u.pkt.SequenceNumber++
	u.pkt.Timestamp += opusFrameTicks
	u.pkt.Payload = u.out[:n]
	u.pkt.Header.Extension, u.pkt.Header.Extensions = false, nil
	_ = u.pkt.Header.SetExtension(audioLevelExt, []byte{audiolevel.MarshalExtension(level, level < 127)})
	u.up.Forward(&u.pkt)
}

// downstream is the DownTrack's writer: Opus from the room → 48k→8k →
// G.711 → the peer. WriteRTP is called on the forwarding path; it never
// blocks on the network (UDP writes).
type downstream struct {
	mu      sync.Mutex
	media   mediaSession
	dec     codec.Decoder
	enc     codec.Encoder
	rs      codec.Resampler
	pcm48   []int16
	pcm8    []int16
	pending []int16
	out     []byte
}

// newDownstream returns the writer for codec c on m.
func newDownstream(m mediaSession, c audioCodec) (*downstream, error) {
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, 1)
	if err != nil {
		return nil, err
	}
	enc := codec.NewPCMUEncoder()
	if c.Name == "pcma" {
		enc = codec.NewPCMAEncoder()
	}
	return &downstream{media: m, dec: dec, enc: enc, pcm48: make([]int16, codec.MaxOpusFrameSamples(codec.OpusSampleRate)),
		pcm8: make([]int16, codec.MaxG711Samples), out: make([]byte, codec.G711FrameSamples)}, nil
}

// WriteRTP transcodes one Opus packet.
func (d *downstream) WriteRTP(p *rtp.Packet) error {
	if len(p.Payload) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.dec.Decode(p.Payload, d.pcm48)
	if err != nil {
		return err
	}
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

// injectDTMF feeds a key received by SIP INFO to the UpTrack.
func (u *upstream) injectDTMF(d rune) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.infoTS += 8000
	u.up.Forward(dtmfPacket(d, u.infoTS))
}
