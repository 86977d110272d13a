package main

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"xphone/sfu/codec"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func tone(freq float64, amplitude, n, offset int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(float64(amplitude) * math.Sin(2*math.Pi*freq*float64(i+offset)/codec.OpusSampleRate))
	}
	return pcm
}

// opusRoundTrip encodes and decodes frames of 20 ms, as the room's mix
// reaches a joiner.
func opusRoundTrip(t *testing.T, frames [][]int16) [][]int16 {
	t.Helper()
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf, pcm := make([]byte, 1500), make([]int16, 5760)
	var out [][]int16
	for _, f := range frames {
		n, err := enc.Encode(f, buf)
		if err != nil {
			t.Fatal(err)
		}
		k, err := dec.Decode(buf[:n], pcm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]int16(nil), pcm[:k]...))
	}
	return out
}

// A joiner counts as hearing the room only once a talker's tone comes out
// of its decoded mix: silence, comfort-noise-like hiss and another tone
// (the mix-delay probe's) do not count.
func TestFirstAudioNeedsATalker(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	login := clock.t
	quiet := 0
	f := newFirstAudio(talkerFreqs(3), clock.now, login)
	f.quiet = func() { quiet++ }
	f.connected = login.Add(30 * time.Millisecond)

	rng := rand.New(rand.NewPCG(1, 2))
	hiss := make([]int16, 960)
	for i := range hiss {
		hiss[i] = int16(rng.IntN(61) - 30) // ≈ −60 dBFS
	}
	silence := make([][]int16, 10)
	for i := range silence {
		silence[i] = make([]int16, 960)
	}
	for _, pcm := range append(opusRoundTrip(t, silence), hiss, tone(probeFreq, 20000, 960, 0)) {
		clock.t = clock.t.Add(20 * time.Millisecond)
		f.hear(pcm)
	}
	if _, _, ok := f.delays(); ok {
		t.Fatal("heard the talkers in silence, hiss or the probe's tone")
	}
	if s := summarise([]*firstAudio{f}); s.unheard != 1 || len(s.fromLogin) != 0 {
		t.Fatalf("summary of a joiner that heard nothing: %+v", s)
	}

	var talk [][]int16
	for i := range 5 {
		talk = append(talk, tone(talkerFreq(2), 6000, 960, i*960))
	}
	for _, pcm := range opusRoundTrip(t, talk) {
		clock.t = clock.t.Add(20 * time.Millisecond)
		f.hear(pcm)
	}
	fromLogin, fromConn, ok := f.delays()
	if !ok {
		t.Fatal("did not hear talker 2's tone through Opus")
	}
	// 12 frames of nothing before the tone; Opus may need a frame to ramp up.
	if fromLogin < 260*time.Millisecond || fromLogin > 280*time.Millisecond {
		t.Fatalf("first audio %s after login, want the 13th or 14th frame (260–280 ms)", fromLogin)
	}
	if fromConn != fromLogin-30*time.Millisecond {
		t.Fatalf("from connected %s, want %s", fromConn, fromLogin-30*time.Millisecond)
	}
	if quiet != 1 {
		t.Fatalf("decoder told to stop %d times, want once", quiet)
	}
	s := summarise([]*firstAudio{f})
	if s.unheard != 0 || len(s.fromConnected) != 1 || s.fromLogin[0] != fromLogin {
		t.Fatalf("summary %+v", s)
	}
}

// waitAll returns at its deadline even when a joiner never hears anything.
func TestWaitAllStopsAtTimeout(t *testing.T) {
	heard := newFirstAudio(talkerFreqs(1), time.Now, time.Now())
	heard.hear(tone(talkerFreq(0), 6000, 960, 0))
	never := newFirstAudio(talkerFreqs(1), time.Now, time.Now())
	expired := make(chan time.Time)
	close(expired)
	waitAll([]*firstAudio{heard, never}, expired)
	if s := summarise([]*firstAudio{heard, never}); s.unheard != 1 || len(s.fromLogin) != 1 {
		t.Fatalf("summary %+v, want 1 heard and 1 not", s)
	}
}
