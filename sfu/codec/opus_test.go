package codec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/thesyncim/gopus"
)

const (
	toneHz      = 440.0
	toneDB      = -20.0
	probeHz     = 1000.0
	warmFrames  = 10 // 200 ms of codec warm-up left out of the analysis
	testSeconds = 1
)

// roundTrip encodes seconds of pcm (interleaved, 20 ms frames) with enc,
// decodes every packet with dec and returns the decoded PCM.
func roundTrip(t testing.TB, enc Encoder, dec Decoder, pcm []int16, channels int) []int16 {
	t.Helper()
	frame := OpusFrameSamples * channels
	packet := make([]byte, MaxOpusPayload)
	out := make([]int16, 0, len(pcm))
	buf := make([]int16, MaxOpusFrameSamples(OpusSampleRate)*channels)
	for off := 0; off+frame <= len(pcm); off += frame {
		n, err := enc.Encode(pcm[off:off+frame], packet)
		if err != nil {
			t.Fatalf("encode frame %d: %v", off/frame, err)
		}
		if n == 0 {
			t.Fatalf("encode frame %d: empty packet", off/frame)
		}
		got, err := dec.Decode(packet[:n], buf)
		if err != nil {
			t.Fatalf("decode frame %d: %v", off/frame, err)
		}
		if got != OpusFrameSamples {
			t.Fatalf("decode frame %d: %d samples, want %d", off/frame, got, OpusFrameSamples)
		}
		out = append(out, buf[:got*channels]...)
	}
	return out
}

// toneResult is what the Goertzel analysis of a decoded tone found.
type toneResult struct {
	tone, probe, snr float64 // dBFS, dBFS, dB
}

func (r toneResult) String() string {
	return fmt.Sprintf("440 Hz %.2f dBFS, 1 kHz %.1f dBFS (%.1f dB below), SNR %.1f dB",
		r.tone, r.probe, r.tone-r.probe, r.snr)
}

// checkTone verifies every channel of decoded (after warm-up) carries the
// 440 Hz tone at about −20 dBFS, with 1 kHz at least 20 dB lower and the
// rest (noise and distortion) at least minSNR dB below the tone.
func checkTone(t testing.TB, decoded []int16, channels int, minSNR float64) {
	t.Helper()
	for c := range channels {
		x := channel(decoded, channels, c)[warmFrames*OpusFrameSamples:]
		r := toneResult{
			tone:  toneDBFS(x, toneHz, OpusSampleRate),
			probe: toneDBFS(x, probeHz, OpusSampleRate),
			snr:   toneSNR(x, toneHz, OpusSampleRate),
		}
		t.Logf("channel %d: %v", c, r)
		if r.tone < toneDB-2 || r.tone > toneDB+2 {
			t.Errorf("channel %d: 440 Hz at %.2f dBFS, want %.0f ± 2", c, r.tone, toneDB)
		}
		if r.tone-r.probe < 20 {
			t.Errorf("channel %d: 1 kHz only %.1f dB below 440 Hz, want ≥ 20", c, r.tone-r.probe)
		}
		if r.snr < minSNR {
			t.Errorf("channel %d: SNR %.1f dB, want ≥ %.0f", c, r.snr, minSNR)
		}
	}
}

// opusPairs runs fn for every encoder/decoder implementation pair accepted
// by keep, per application and channel count.
func opusPairs(t *testing.T, keep func(enc, dec opusImpl) bool, fn func(t *testing.T, enc Encoder, dec Decoder, channels int)) {
	for _, ei := range opusImpls {
		for _, di := range opusImpls {
			if !keep(ei, di) {
				continue
			}
			for _, app := range []Application{VoIP, Audio} {
				for _, ch := range []int{1, 2} {
					name := fmt.Sprintf("%s→%s/%v/%dch", ei.name, di.name, app, ch)
					t.Run(name, func(t *testing.T) {
						enc, err := ei.newEnc(OpusSampleRate, ch, app)
						if err != nil {
							t.Fatal(err)
						}
						dec, err := di.newDec(OpusSampleRate, ch)
						if err != nil {
							t.Fatal(err)
						}
						fn(t, enc, dec, ch)
					})
				}
			}
		}
	}
}

func sameImpl(enc, dec opusImpl) bool { return enc.name == dec.name }

func checkToneRoundTrip(t *testing.T, enc Encoder, dec Decoder, ch int) {
	pcm := sine(testSeconds*OpusSampleRate, ch, OpusSampleRate, toneHz, toneDB)
	checkTone(t, roundTrip(t, enc, dec, pcm, ch), ch, 20)
}

func TestOpusToneRoundTrip(t *testing.T) {
	opusPairs(t, sameImpl, checkToneRoundTrip)
}

func checkSilence(t *testing.T, enc Encoder, dec Decoder, ch int) {
	pcm := make([]int16, testSeconds*OpusSampleRate*ch)
	out := roundTrip(t, enc, dec, pcm, ch)
	peak := 0
	for _, v := range out {
		peak = max(peak, abs(int(v)))
	}
	level := rmsDBFS(channel(out, ch, 0))
	t.Logf("silence: peak %d, %.1f dBFS", peak, level)
	if peak > 16 || level > -80 {
		t.Fatalf("silence decoded with peak %d, level %.1f dBFS; want ≤ 16 and ≤ −80 dBFS", peak, level)
	}
}

func TestOpusSilence(t *testing.T) {
	opusPairs(t, sameImpl, checkSilence)
}

func TestOpusDecodeLoss(t *testing.T) {
	opusPairs(t, sameImpl, func(t *testing.T, enc Encoder, dec Decoder, ch int) {
		pcm := sine(testSeconds*OpusSampleRate, ch, OpusSampleRate, toneHz, toneDB)
		roundTrip(t, enc, dec, pcm[:len(pcm)/2], ch)
		next := make([]byte, MaxOpusPayload)
		n, err := enc.Encode(pcm[len(pcm)/2:len(pcm)/2+OpusFrameSamples*ch], next)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			next []byte
		}{{"plc", nil}, {"next", next[:n]}, {"garbage next", []byte{0xFF, 0xFF, 0xFF}}} {
			buf := make([]int16, MaxOpusFrameSamples(OpusSampleRate)*ch)
			got, err := dec.DecodeLoss(tc.next, buf)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got != OpusFrameSamples {
				t.Fatalf("%s: %d samples, want %d", tc.name, got, OpusFrameSamples)
			}
			level := toneDBFS(channel(buf[:got*ch], ch, 0), toneHz, OpusSampleRate)
			t.Logf("%s: concealed frame carries 440 Hz at %.1f dBFS", tc.name, level)
			if level < toneDB-20 {
				t.Errorf("%s: concealed frame lost the tone (%.1f dBFS)", tc.name, level)
			}
		}
		if _, err := dec.DecodeLoss(nil, make([]int16, OpusFrameSamples*ch-1)); !errors.Is(err, ErrBufferTooSmall) {
			t.Fatalf("short buffer: %v, want ErrBufferTooSmall", err)
		}
	})
}

func TestOpusDecodeLossBeforeFirstPacket(t *testing.T) {
	for _, impl := range opusImpls {
		t.Run(impl.name, func(t *testing.T) {
			dec, err := impl.newDec(OpusSampleRate, 1)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]int16, OpusFrameSamples)
			for i := range buf {
				buf[i] = 1234
			}
			n, err := dec.DecodeLoss(nil, buf)
			if err != nil || n != OpusFrameSamples {
				t.Fatalf("DecodeLoss = %d, %v; want %d, nil", n, err, OpusFrameSamples)
			}
			for i, v := range buf {
				if v != 0 {
					t.Fatalf("sample %d = %d, want silence", i, v)
				}
			}
		})
	}
}

// With SetPacketLoss the encoders add LBRR, and DecodeLoss(next) rebuilds
// the lost frame from it.
func TestOpusFEC(t *testing.T) {
	opusPairs(t, func(_, _ opusImpl) bool { return true }, func(t *testing.T, enc Encoder, dec Decoder, ch int) {
		fe, ok := enc.(FECEncoder)
		if !ok {
			t.Fatalf("%T does not implement FECEncoder", enc)
		}
		if err := fe.SetPacketLoss(20); err != nil {
			t.Fatal(err)
		}
		if err := enc.SetBitrate(24000 * ch); err != nil {
			t.Fatal(err)
		}
		if _, isGopus := enc.(*gopusEncoder); isGopus && ch == 2 {
			t.Skip("gopus adds no FEC to stereo; see TestGopusStereoPacketLoss")
		}
		pcm := sine(testSeconds*OpusSampleRate, ch, OpusSampleRate, toneHz, toneDB)
		frame := OpusFrameSamples * ch
		packets := make([][]byte, 0, len(pcm)/frame)
		for off := 0; off+frame <= len(pcm); off += frame {
			p := make([]byte, MaxOpusPayload)
			n, err := enc.Encode(pcm[off:off+frame], p)
			if err != nil {
				t.Fatal(err)
			}
			packets = append(packets, p[:n])
		}
		// A steady tone stops looking like speech to SILK's VAD after
		// ~400 ms and both libraries then drop LBRR, so lose frames early.
		lost := map[int]bool{4: true, 9: true, 14: true}
		buf := make([]int16, MaxOpusFrameSamples(OpusSampleRate)*ch)
		var out []int16
		for i, p := range packets[:20] {
			var n int
			var err error
			if lost[i] {
				if !gopus.PacketHasLBRR(packets[i+1]) {
					t.Fatalf("packet %d carries no LBRR", i+1)
				}
				n, err = dec.DecodeLoss(packets[i+1], buf)
				if lvl := toneDBFS(channel(buf[:n*ch], ch, 0), toneHz, OpusSampleRate); err == nil && lvl < toneDB-6 {
					t.Errorf("frame %d rebuilt at %.1f dBFS, want ≥ %.0f", i, lvl, toneDB-6)
				}
			} else {
				n, err = dec.Decode(p, buf)
			}
			if err != nil || n != OpusFrameSamples {
				t.Fatalf("packet %d: %d samples, %v", i, n, err)
			}
			out = append(out, buf[:n*ch]...)
		}
		checkTone(t, out, ch, 10) // frames 10..19, frame 14 rebuilt by FEC
	})
}

// gopus v0.1.1 encodes stereo hybrid frames that carry LBRR wrongly; the
// wrapper keeps FEC off for stereo. Without that, the first 400 ms (while
// SILK's VAD still calls the tone speech) decode at −15..−35 dB SNR.
func TestGopusStereoPacketLoss(t *testing.T) {
	for _, app := range []Application{VoIP, Audio} {
		t.Run(app.String(), func(t *testing.T) {
			enc, err := NewGopusEncoder(OpusSampleRate, 2, app)
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.(FECEncoder).SetPacketLoss(20); err != nil {
				t.Fatal(err)
			}
			if err := enc.SetBitrate(48000); err != nil {
				t.Fatal(err)
			}
			dec, err := NewGopusDecoder(OpusSampleRate, 2)
			if err != nil {
				t.Fatal(err)
			}
			pcm := sine(testSeconds*OpusSampleRate, 2, OpusSampleRate, toneHz, toneDB)
			checkTone(t, roundTrip(t, enc, dec, pcm, 2), 2, 20)
		})
	}
}

func TestOpusErrors(t *testing.T) {
	for _, impl := range opusImpls {
		t.Run(impl.name, func(t *testing.T) {
			newEnc := func() Encoder {
				enc, err := impl.newEnc(OpusSampleRate, 1, VoIP)
				if err != nil {
					t.Fatal(err)
				}
				return enc
			}
			newDec := func() Decoder {
				dec, err := impl.newDec(OpusSampleRate, 1)
				if err != nil {
					t.Fatal(err)
				}
				return dec
			}
			frame := make([]int16, OpusFrameSamples)
			tests := []struct {
				name string
				err  error
				want error
			}{
				{"rate 44100", second(impl.newEnc(44100, 1, VoIP)), ErrInvalidSampleRate},
				{"3 channels", second(impl.newEnc(OpusSampleRate, 3, VoIP)), ErrInvalidChannels},
				{"app 0", second(impl.newEnc(OpusSampleRate, 1, 0)), ErrInvalidApplication},
				{"decoder rate", second(impl.newDec(22050, 1)), ErrInvalidSampleRate},
				{"decoder channels", second(impl.newDec(OpusSampleRate, 0)), ErrInvalidChannels},
				{"short frame", second(newEnc().Encode(frame[:480], make([]byte, 100))), ErrInvalidFrameSize},
				{"no out", second(newEnc().Encode(frame, nil)), ErrBufferTooSmall},
				{"bitrate low", newEnc().SetBitrate(5999), ErrInvalidBitrate},
				{"bitrate high", newEnc().SetBitrate(510001), ErrInvalidBitrate},
				{"complexity", newEnc().SetComplexity(11), ErrInvalidComplexity},
				{"loss", newEnc().(FECEncoder).SetPacketLoss(101), ErrInvalidPacketLoss},
				{"empty payload", second(newDec().Decode(nil, frame)), ErrEmptyPayload},
				{"no pcm", second(newDec().Decode([]byte{0x78, 0x00}, nil)), ErrBufferTooSmall},
				{"pcm too short", second(newDec().Decode([]byte{0x78, 0x00}, frame[:480])), ErrBufferTooSmall},
				{"invalid packet", second(newDec().Decode([]byte{0x03}, frame)), ErrInvalidPacket},
			}
			for _, tt := range tests {
				if !errors.Is(tt.err, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
				} else {
					t.Logf("%s: %v", tt.name, tt.err)
				}
			}
			for _, ok := range []error{newEnc().SetBitrate(MinOpusBitrate), newEnc().SetBitrate(MaxOpusBitrate),
				newEnc().SetComplexity(0), newEnc().SetComplexity(10), newEnc().(FECEncoder).SetPacketLoss(0)} {
				if ok != nil {
					t.Errorf("valid setting rejected: %v", ok)
				}
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
