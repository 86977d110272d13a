package codec

// Encoder turns 20 ms frames of 16-bit PCM into codec payloads.
type Encoder interface {
	// Encode encodes one frame of interleaved PCM into out and returns the
	// payload length. For Opus, pcm holds exactly 20 ms
	// (FrameSamples(sampleRate)*channels samples) and out should have room
	// for MaxOpusPayload bytes; for G.711, pcm may be any length up to
	// MaxG711Samples and out needs len(pcm) bytes.
	Encode(pcm []int16, out []byte) (n int, err error)
	// SetBitrate sets the target bitrate in bits per second
	// (Opus: MinOpusBitrate..MaxOpusBitrate; G.711: only 64000).
	SetBitrate(bps int) error
	// SetComplexity sets the encoder's CPU/quality trade-off, 0..10;
	// G.711: no-op.
	SetComplexity(c int) error
}

// Decoder turns payloads into PCM; DecodeLoss conceals one lost frame (PLC,
// or FEC when the next packet is given).
type Decoder interface {
	// Decode decodes payload into pcm (interleaved) and returns the number
	// of samples per channel written. pcm must hold the whole payload:
	// MaxOpusFrameSamples(sampleRate)*channels is always enough for Opus,
	// len(payload) for G.711. An empty payload is an error; report losses
	// with DecodeLoss.
	Decode(payload []byte, pcm []int16) (samples int, err error)
	// DecodeLoss writes one concealed frame, as long as the last decoded
	// one (20 ms before the first), into pcm and returns its samples per
	// channel. When next, the packet after the lost one, is not nil and
	// carries in-band FEC (Opus LBRR), the lost frame is rebuilt from it;
	// otherwise it is concealed from the past. Decode next afterwards as
	// usual. next may be nil.
	DecodeLoss(next []byte, pcm []int16) (samples int, err error)
}

// FECEncoder is implemented by the Opus encoders: it turns Opus in-band
// forward error correction (LBRR) on for the expected packet loss, so a
// receiver's DecodeLoss(next, ...) can rebuild a lost frame. 0 turns FEC off
// (the default); browsers negotiate it with useinbandfec=1. The gopus
// encoder adds FEC to mono streams only: gopus v0.1.1 mis-encodes stereo
// hybrid frames that carry it.
type FECEncoder interface {
	SetPacketLoss(percent int) error
}

// Application tunes an Opus encoder for its content.
type Application int

const (
	// VoIP favours speech intelligibility (libopus OPUS_APPLICATION_VOIP).
	VoIP Application = iota + 1
	// Audio favours fidelity for music and mixed content
	// (OPUS_APPLICATION_AUDIO).
	Audio
)

// String returns the application's name.
func (a Application) String() string {
	switch a {
	case VoIP:
		return "voip"
	case Audio:
		return "audio"
	default:
		return "invalid"
	}
}

const (
	// OpusSampleRate is the rate the mixer runs Opus at.
	OpusSampleRate = 48000
	// G711SampleRate is G.711's only sample rate.
	G711SampleRate = 8000
	// FrameMillis is the frame duration encoders take.
	FrameMillis = 20
	// OpusFrameSamples is one 20 ms frame at 48 kHz, per channel.
	OpusFrameSamples = OpusSampleRate * FrameMillis / 1000
	// G711FrameSamples is one 20 ms G.711 frame.
	G711FrameSamples = G711SampleRate * FrameMillis / 1000
	// MaxOpusPayload is the largest single-frame Opus packet (RFC 6716
	// §3.2.1); an out buffer this large never fails for size.
	MaxOpusPayload = 1275
	// MinOpusBitrate is the lowest bitrate Opus encoders accept (bps).
	MinOpusBitrate = 6000
	// MaxOpusBitrate is the highest bitrate Opus encoders accept (bps).
	MaxOpusBitrate = 510000
	// MaxG711Samples is the longest G.711 frame accepted (120 ms).
	MaxG711Samples = G711SampleRate * 120 / 1000
)

// FrameSamples returns the samples per channel in one 20 ms frame.
func FrameSamples(sampleRate int) int { return sampleRate * FrameMillis / 1000 }

// MaxOpusFrameSamples returns the samples per channel of the longest Opus
// packet (120 ms) at sampleRate.
func MaxOpusFrameSamples(sampleRate int) int { return sampleRate * 120 / 1000 }

// NewOpusEncoder returns this build's Opus encoder (see Implementation) for
// interleaved PCM at sampleRate (8000, 12000, 16000, 24000 or 48000) with
// 1 or 2 channels.
func NewOpusEncoder(sampleRate, channels int, app Application) (Encoder, error) {
	return newBuildOpusEncoder(sampleRate, channels, app)
}

// NewOpusDecoder returns this build's Opus decoder (see Implementation).
func NewOpusDecoder(sampleRate, channels int) (Decoder, error) {
	return newBuildOpusDecoder(sampleRate, channels)
}
