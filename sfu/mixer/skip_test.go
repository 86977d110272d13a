package mixer

import "testing"

// TestSkipKeepsTimestampsOnWallTime: frames skipped after a stall move every
// stream's timestamps on by exactly the skipped frames, with the marker bit
// on the first packet after the gap, and sequence numbers stay contiguous.
func TestSkipKeepsTimestampsOnWallTime(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	talk := func() {
		a.say(1000, 10)
		b.say(200, 20)
		m.Tick()
	}
	for range 4 {
		talk()
	}
	lastShared, lastA := shared.headers[len(shared.headers)-1], a.out.headers[len(a.out.headers)-1]
	m.Skip(7)
	talk()
	nextShared, nextA := shared.headers[len(shared.headers)-1], a.out.headers[len(a.out.headers)-1]
	for _, c := range []struct {
		name       string
		last, next uint32
		seq        [2]uint16
		marker     bool
	}{
		{"shared", lastShared.Timestamp, nextShared.Timestamp, [2]uint16{lastShared.SequenceNumber, nextShared.SequenceNumber}, nextShared.Marker},
		{"a's own", lastA.Timestamp, nextA.Timestamp, [2]uint16{lastA.SequenceNumber, nextA.SequenceNumber}, nextA.Marker},
	} {
		if got, want := c.next-c.last, uint32((1+7)*frame); got != want {
			t.Errorf("%s: timestamp moved %d over the skip, want %d (one frame + 7 skipped)", c.name, got, want)
		}
		if c.seq[1] != c.seq[0]+1 {
			t.Errorf("%s: sequence %d → %d, want contiguous", c.name, c.seq[0], c.seq[1])
		}
		if !c.marker {
			t.Errorf("%s: no marker bit after the gap", c.name)
		}
	}
}
