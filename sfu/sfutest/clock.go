package sfutest

import "time"

// audioClock compares the RTP clock of the received audio with wall time:
// a sender whose timestamps fall behind the time that passed makes the
// receiver run out of audio (gaps), one that runs ahead fills its buffer.
// It follows where each packet's media ends (timestamp + duration), since
// a packet goes out when its media is complete: a receiver moved between
// 20 ms and 60 ms packets would otherwise seem 40 ms short at the edge of
// the window.
type audioClock struct {
	started     bool
	prevEnd     uint32
	media       int64 // RTP ticks advanced since the first packet
	first, last time.Time
}

// observe adds one received packet of dur ticks; timestamps are unwrapped
// by steps.
func (a *audioClock) observe(ts, dur uint32, at time.Time) {
	end := ts + dur
	if !a.started {
		*a = audioClock{started: true, prevEnd: end, first: at, last: at}
		return
	}
	if step := int32(end - a.prevEnd); step > 0 { // reordered or repeated packets add nothing
		a.media += int64(step)
		a.prevEnd = end
	}
	a.last = at
}

// ResetAudioClock starts measuring the received audio's RTP clock afresh.
func (c *Client) ResetAudioClock() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock = audioClock{}
}

// AudioClock reports how much media time the received audio's timestamps
// advanced (at 48 kHz) against the wall time between the first and the
// last packet since ResetAudioClock. Their ratio is 1 for a sender that
// keeps real time.
func (c *Client) AudioClock() (media, wall time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.clock.media) * time.Second / 48000, c.clock.last.Sub(c.clock.first)
}
