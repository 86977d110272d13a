package main

import (
	"fmt"
	"io"
	"slices"
)

// minClockWall is the least wall time a receiver's clock is judged over.
const minClockWall = 5.0 // seconds

// clocks is each receiver's RTP clock rate against wall time over the
// measurement (1 = the audio it got kept real time): talkers hear their
// mix-minus, everyone else the shared mix. The delay probe is left out
// (it is silent, then bursts).
func (r *room) clocks() (talkers, listeners []float64) {
	talking := map[*participant]bool{}
	for _, p := range r.talkers {
		talking[p] = true
	}
	for _, p := range r.all {
		if p == r.probe {
			continue
		}
		media, wall := p.client.AudioClock()
		if wall.Seconds() < minClockWall {
			continue
		}
		ratio := media.Seconds() / wall.Seconds()
		if talking[p] {
			talkers = append(talkers, ratio)
		} else {
			listeners = append(listeners, ratio)
		}
	}
	return talkers, listeners
}

// printClocks writes the lowest, median and highest ratio of a group, and
// how many fell below 0.998.
func printClocks(w io.Writer, group string, ratios []float64) {
	if len(ratios) == 0 {
		fmt.Fprintf(w, "RTP clock / wall, %-9s no receiver measured\n", group)
		return
	}
	s := slices.Sorted(slices.Values(ratios))
	low := 0
	for _, v := range s {
		if v < 0.998 {
			low++
		}
	}
	fmt.Fprintf(w, "RTP clock / wall, %-9s min %.4f  p50 %.4f  max %.4f  (%d receivers, %d below 0.998)\n",
		group, s[0], s[len(s)/2], s[len(s)-1], len(s), low)
}
