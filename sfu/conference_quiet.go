package sfu

import "time"

// Quiet pacing. A room's loop wakes every frame (20 ms) to mix, but while
// nobody talks each frame is silence that costs no encode (the mixer sends
// only a DTX keep-alive every 400 ms). On this class of machine the cost
// of such a room was then the wake-ups themselves — the timer, the Go
// scheduler and sysmon going round for each — more than the work. So a
// quiet room wakes once per quietBurst frames and produces them together
// (timestamps by frame count, as ever), and the first packet with a
// talking level wakes it at once: the talker's first frame is produced on
// arrival, the silent frames owed before it are skipped (they are
// silence; the next packet carries the marker bit), and the loop is back
// on the 20 ms grid.

// quietBurst is how many frames a quiet room produces per wake-up: the
// most one wake-up produces without skipping (maxMixBurst), 100 ms.
const quietBurst = maxMixBurst

// pace sets the timer after a tick: for the next frame, or, when the tick
// left the room quiet, for when quietBurst frames are due.
func (c *Conference) pace(timer *time.Timer, clock *mediaClock) {
	c.quiet = c.settleQuiet()
	next := clock.next()
	if c.quiet {
		next = next.Add(time.Duration(quietBurst-1) * c.cfg.Tick)
	}
	timer.Reset(next.Sub(c.cfg.Now()))
}

// resume sets the timer for the next frame due (at once when a burst's
// frames are owed). c.quiet stays until that tick, so producing what the
// burst owed is not counted as catching up.
func (c *Conference) resume(timer *time.Timer, clock *mediaClock) {
	timer.Reset(clock.next().Sub(c.cfg.Now()))
}

// settleQuiet reports whether the room may sleep in bursts. It raises idle
// before it looks at the participants' levels, so a talking packet pushed
// meanwhile is either seen here or wakes the loop (mixSink pushes, then
// calls wakeOnTalk).
func (c *Conference) settleQuiet() bool {
	c.idle.Store(true)
	if c.mix.Quiet() {
		return true
	}
	c.idle.Store(false)
	return false
}

// wakeOnTalk is called by a read loop after each audio packet is pushed:
// a talking level wakes a room that sleeps in bursts. It never blocks.
func (c *Conference) wakeOnTalk(level uint8) {
	if !c.idle.Load() || !c.mix.Talking(level) {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// talkWoke produces the talker's first frame now, skipping the silent
// frames owed since the last burst, and reports whether it did (the loop
// is then back on the 20 ms grid).
func (c *Conference) talkWoke(clock *mediaClock, now time.Time) bool {
	c.idle.Store(false)
	if !c.quiet {
		return false // the timer's tick came first and saw the talker
	}
	c.quiet = false
	produce, skip := clock.due(now)
	if owed := produce + skip; owed > 0 {
		c.mix.Skip(owed - 1)
		c.step(now)
	}
	return true
}
