package codec

import "fmt"

// checkOpusFormat validates an Opus stream format for the named operation.
func checkOpusFormat(op string, sampleRate, channels int) error {
	switch sampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return fmt.Errorf("%w: %s: %d Hz (want 8000, 12000, 16000, 24000 or 48000)",
			ErrInvalidSampleRate, op, sampleRate)
	}
	if channels != 1 && channels != 2 {
		return fmt.Errorf("%w: %s: %d (want 1 or 2)", ErrInvalidChannels, op, channels)
	}
	return nil
}

func checkApplication(op string, app Application) error {
	if app != VoIP && app != Audio {
		return fmt.Errorf("%w: %s: %d", ErrInvalidApplication, op, int(app))
	}
	return nil
}

func checkOpusBitrate(op string, bps int) error {
	if bps < MinOpusBitrate || bps > MaxOpusBitrate {
		return fmt.Errorf("%w: %s: %d bps (want %d..%d)",
			ErrInvalidBitrate, op, bps, MinOpusBitrate, MaxOpusBitrate)
	}
	return nil
}

func checkComplexity(op string, c int) error {
	if c < 0 || c > 10 {
		return fmt.Errorf("%w: %s: %d (want 0..10)", ErrInvalidComplexity, op, c)
	}
	return nil
}

func checkPacketLoss(op string, percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("%w: %s: %d%% (want 0..100)", ErrInvalidPacketLoss, op, percent)
	}
	return nil
}

func checkFrameLen(op string, got, want int) error {
	if got != want {
		return fmt.Errorf("%w: %s: %d samples (want %d)", ErrInvalidFrameSize, op, got, want)
	}
	return nil
}

func checkOutLen(op string, got, want int) error {
	if got < want {
		return fmt.Errorf("%w: %s: %d (need %d)", ErrBufferTooSmall, op, got, want)
	}
	return nil
}

func checkPayload(op string, payload []byte) error {
	if len(payload) == 0 {
		return fmt.Errorf("%w: %s", ErrEmptyPayload, op)
	}
	return nil
}

// libError wraps an error from gopus or libopus with the sentinel kind.
func libError(op string, kind, err error) error {
	return fmt.Errorf("%w: %s: %w", kind, op, err)
}

// lossFrame is what an Opus decoder remembers to size a concealed frame:
// the samples per channel of the last decoded or concealed frame.
type lossFrame struct {
	channels int
	last     int
}

func newLossFrame(sampleRate, channels int) lossFrame {
	return lossFrame{channels: channels, last: FrameSamples(sampleRate)}
}

// out returns the slice of pcm one concealed frame fills.
func (l *lossFrame) out(op string, pcm []int16) ([]int16, error) {
	need := l.last * l.channels
	if err := checkOutLen(op, len(pcm), need); err != nil {
		return nil, err
	}
	return pcm[:need:need], nil
}

// decodeBuffer trims pcm to whole frames of channels samples for a decoder.
func decodeBuffer(op string, pcm []int16, channels int) ([]int16, error) {
	usable := len(pcm) - len(pcm)%channels
	if usable == 0 {
		return nil, checkOutLen(op, len(pcm), channels)
	}
	return pcm[:usable:usable], nil
}
