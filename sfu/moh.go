package sfu

import (
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
)

// mohSeconds is the length of the built-in music-on-hold loop.
const mohSeconds = 8

// MusicOnHold is a built-in, pre-encoded music loop published as an
// UpTrack: a held party's audio down track follows it. Its player runs only
// while someone listens, and the loop is encoded once, on first use.
type MusicOnHold struct {
	up  *UpTrack
	log *slog.Logger
	// egress: a tick's packet to every held browser leaves in one
	// sendmmsg; only the player goroutine touches it.
	egress *readBatch

	start sync.Once
	stop  chan struct{}
	wg    sync.WaitGroup
}

// NewMusicOnHold returns the player; nothing runs until Track is called.
func NewMusicOnHold(log *slog.Logger) *MusicOnHold {
	m := &MusicOnHold{up: NewUpTrack("moh", Audio, opusCodec.MimeType), log: log, stop: make(chan struct{})}
	m.egress = newTickBatch()
	m.up.batch = m.egress // only the player goroutine forwards it
	return m
}

// Track is the music's UpTrack; the first call starts the player.
func (m *MusicOnHold) Track() *UpTrack {
	m.start.Do(func() {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.play()
		}()
	})
	return m.up
}

// Close stops the player and waits for it.
func (m *MusicOnHold) Close() {
	close(m.stop)
	m.wg.Wait()
}

// musicFrames is the encoded loop, made once per process: it never
// changes, and every server instance (tests start many) can share it.
var musicFrames = sync.OnceValues(encodeMusic)

// play encodes the loop, then sends one packet per 20 ms while anyone is
// subscribed.
func (m *MusicOnHold) play() {
	frames, err := musicFrames()
	if err != nil {
		m.log.Error("music on hold unavailable", "err", err)
		return
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var pkt rtp.Packet
	pkt.Version, pkt.PayloadType = 2, opusPayloadType
	for i := 0; ; i++ {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		pkt.SequenceNumber++
		pkt.Timestamp += codec.OpusFrameSamples
		if m.up.Subscribers() == 0 {
			continue
		}
		pkt.Payload = frames[i%len(frames)]
		m.up.Forward(&pkt)
		m.egress.flush(m.log)
	}
}

// encodeMusic renders a slow, soft arpeggio and encodes it as Opus frames.
func encodeMusic() ([][]byte, error) {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.Audio)
	if err != nil {
		return nil, err
	}
	pcm := renderMusic(mohSeconds * codec.OpusSampleRate)
	frames := make([][]byte, 0, len(pcm)/codec.OpusFrameSamples)
	buf := make([]byte, codec.MaxOpusPayload)
	for off := 0; off+codec.OpusFrameSamples <= len(pcm); off += codec.OpusFrameSamples {
		n, err := enc.Encode(pcm[off:off+codec.OpusFrameSamples], buf)
		if err != nil {
			return nil, err
		}
		frames = append(frames, append([]byte(nil), buf[:n]...))
	}
	return frames, nil
}

// renderMusic plays C–E–G–C' notes of half a second each, with a gentle
// attack and decay, around −20 dBFS.
func renderMusic(samples int) []int16 {
	notes := []float64{261.63, 329.63, 392.00, 523.25, 392.00, 329.63}
	const noteLen = codec.OpusSampleRate / 2
	out := make([]int16, samples)
	for i := range out {
		n := i / noteLen
		t := float64(i%noteLen) / float64(codec.OpusSampleRate)
		env := math.Min(t/0.03, 1) * math.Exp(-3*t)
		f := notes[n%len(notes)]
		v := 0.7*math.Sin(2*math.Pi*f*t) + 0.3*math.Sin(2*math.Pi*2*f*t)
		out[i] = int16(3300 * env * v)
	}
	return out
}
