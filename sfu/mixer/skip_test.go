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

// lossCoder is an encoder that remembers the FEC loss it was set for.
type lossCoder struct {
	pcmCodec
	loss *[]int
}

func (c lossCoder) SetPacketLoss(percent int) error { *c.loss = append(*c.loss, percent); return nil }

type lossCoders struct{ loss *[]int }

func (c lossCoders) NewDecoder() (Decoder, error) { return pcmCodec{}, nil }
func (c lossCoders) NewEncoder() (Encoder, error) { return lossCoder{loss: c.loss}, nil }

// TestSetPacketLossReachesEveryEncoder: the shared mix's encoder and the
// talkers' own, also those equipped later, get the loss their receivers
// report (Opus in-band FEC).
func TestSetPacketLossReachesEveryEncoder(t *testing.T) {
	var loss []int
	m, err := New(Config{TopK: 3, Frame: frame, Threshold: 60, HoldTicks: 2}, lossCoders{&loss}, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	a := newMember(t, m, "a")
	m.SetPacketLoss(7)
	if len(loss) != 1 || loss[0] != 7 {
		t.Fatalf("shared encoder set to %v, want [7]", loss)
	}
	for range 3 {
		a.say(1000, 10)
		m.Tick() // a becomes a talker and gets an encoder
	}
	if len(loss) != 2 || loss[1] != 7 {
		t.Fatalf("a talker's new encoder set to %v, want 7 too", loss)
	}
	m.SetPacketLoss(7)
	if len(loss) != 2 {
		t.Fatalf("an unchanged loss was set again: %v", loss)
	}
	m.SetPacketLoss(0)
	if m.PacketLoss() != 0 || len(loss) != 4 || loss[2] != 0 || loss[3] != 0 {
		t.Fatalf("turning FEC off: %v", loss)
	}
}
