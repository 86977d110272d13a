package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"xphone/sfu/sfutest"
)

// toneFloor is the level (dBFS, Goertzel) at which a decoded frame counts
// as carrying a talker's tone: well above Opus comfort noise and DTX
// silence, well below a talker mixed in at its amplitude (≈ −15 dBFS).
const toneFloor = -40.0

// hearWait is how long confload waits, after the last join, for joiners
// that have not heard the talkers yet.
const hearWait = 3 * time.Second

// firstAudio times one joiner's first mixed audio that carries a talker:
// from the start of its join (login) and from media connected. Its hear
// method runs on the client's track read goroutine, the rest on the
// joining goroutine.
type firstAudio struct {
	freqs []float64        // the talkers' tones
	now   func() time.Time // injected clock
	// quiet is called once after the first sound, so the client stops
	// decoding (keeps the load tool's CPU off the server's cores).
	quiet func()
	// keepListening leaves the client decoding after the first sound (the
	// mix-delay listener goes on decoding for its probe).
	keepListening bool

	// started is set before media can flow, connected (pion reported the
	// PeerConnection connected) by the joiner once join returns.
	started, connected time.Time
	once               sync.Once
	heardAt            time.Time // written once, before heard closes
	heard              chan struct{}
}

func newFirstAudio(freqs []float64, now func() time.Time, started time.Time) *firstAudio {
	return &firstAudio{freqs: freqs, now: now, started: started, heard: make(chan struct{})}
}

// hear inspects one decoded frame; the first one with a talker's tone in
// it stamps heardAt.
func (f *firstAudio) hear(pcm []int16) {
	select {
	case <-f.heard:
		return
	default:
	}
	for _, freq := range f.freqs {
		if sfutest.ToneDB(pcm, freq) >= toneFloor {
			f.once.Do(f.stamp)
			return
		}
	}
}

func (f *firstAudio) stamp() {
	f.heardAt = f.now()
	close(f.heard)
	if f.quiet != nil {
		f.quiet()
	}
}

// delays returns the time to first sound from login and from media
// connected; ok is false if nothing was heard yet.
func (f *firstAudio) delays() (fromLogin, fromConnected time.Duration, ok bool) {
	select {
	case <-f.heard:
	default:
		return 0, 0, false
	}
	return f.heardAt.Sub(f.started), f.heardAt.Sub(f.connected), true
}

// waitAll waits until every joiner heard the talkers or until timeout,
// whichever comes first (those still silent count as unheard).
func waitAll(list []*firstAudio, timeout <-chan time.Time) {
	for _, f := range list {
		select {
		case <-f.heard:
		case <-timeout:
			return
		}
	}
}

// joinAudio is the first-sound figures of a group of joiners.
type joinAudio struct {
	fromLogin, fromConnected []time.Duration
	unheard                  int
}

func summarise(list []*firstAudio) joinAudio {
	var j joinAudio
	for _, f := range list {
		login, conn, ok := f.delays()
		if !ok {
			j.unheard++
			continue
		}
		j.fromLogin = append(j.fromLogin, login)
		if !f.connected.IsZero() { // join can return before pion reports connected
			j.fromConnected = append(j.fromConnected, conn)
		}
	}
	return j
}

// print writes one line: p50/p95 from login and from media connected.
func (j joinAudio) print(w io.Writer, label string) {
	ms := func(d []time.Duration, q float64) time.Duration { return percentile(d, q).Round(time.Millisecond) }
	fmt.Fprintf(w, "%-22s p50 %s  p95 %s from login; p50 %s  p95 %s from media connected  (%d heard, %d never)\n",
		label, ms(j.fromLogin, 0.5), ms(j.fromLogin, 0.95), ms(j.fromConnected, 0.5), ms(j.fromConnected, 0.95),
		len(j.fromLogin), j.unheard)
}
