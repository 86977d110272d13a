package rtcpclock

import "time"

// Ticker is a channel ticker on the shared clock. Its method set matches
// the Ticker interfaces of pion's report and twcc interceptors, so their
// loops can be given tickers that fire in step with every other leg's.
type Ticker struct {
	c      chan time.Time
	cancel func()
}

// NewTicker returns a ticker firing every d on c. Like time.Ticker it drops
// ticks a slow reader misses.
func (c *Clock) NewTicker(d time.Duration) *Ticker {
	t := &Ticker{c: make(chan time.Time, 1)}
	t.cancel = c.Every(d, func(now time.Time) {
		select {
		case t.c <- now:
		default:
		}
	})
	return t
}

// Ch is the channel ticks arrive on.
func (t *Ticker) Ch() <-chan time.Time { return t.c }

// Stop ends the ticks.
func (t *Ticker) Stop() { t.cancel() }
