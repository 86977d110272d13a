package audiolevel

import (
	"slices"
	"testing"
	"time"
)

// FuzzSpeakers feeds random packet sequences, mutes, leaves and clock steps
// through Meters and a Detector and checks the invariants of every Decision.
//
// Input bytes: the first picks the participant count and parameters, then
// each tick takes one byte for the clock step and one per participant:
// 0..127 a packet at that level, 128..199 the same with the V bit,
// 200..219 toggles leaving, 220..239 toggles room mute, 240..249 toggles
// meter mute, 250..255 no packet.
func FuzzSpeakers(f *testing.F) {
	f.Add([]byte{0x02, 20, 30, 127, 20, 30, 127, 20, 30, 30, 20, 210, 10})
	f.Add(make([]byte, 400))
	loud := make([]byte, 600)
	for i := range loud {
		loud[i] = byte(20 + i%3*10)
	}
	f.Add(loud)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		n := 1 + int(data[0]%5)
		p := DefaultParams()
		if data[0]&0x80 != 0 {
			p.SwitchHold, p.Margin, p.MinTalk = 0, 0, 0
		}
		r := newRoom(t, p, []string{"a", "b", "c", "d", "e"}[:n]...)
		meterMuted := make([]bool, n)
		now := t0
		var prev Decision
		var prevSpeaking []string
		var lastSwitch time.Time
		for data = data[1:]; len(data) > n; data = data[1+n:] {
			now = now.Add(time.Duration(data[0]%80) * time.Millisecond)
			r.in = r.in[:0]
			for i, b := range data[1 : 1+n] {
				switch {
				case b < 200:
					r.meters[i].Observe(b&0x7f, b >= 128, frame, now)
				case b < 220:
					r.absent[i] = !r.absent[i]
				case b < 240:
					r.muted[i] = !r.muted[i]
				case b < 250:
					meterMuted[i] = !meterMuted[i]
					r.meters[i].SetMuted(meterMuted[i])
				}
				if !r.absent[i] {
					a := r.meters[i].Snapshot(now)
					checkActivity(t, a)
					r.in = append(r.in, Input{ID: r.ids[i], Activity: a, Muted: r.muted[i]})
				}
			}
			d := r.det.Decide(now, r.in)
			checkDecision(t, r.in, prevSpeaking, prev.Dominant, d)
			if d.Dominant != prev.Dominant {
				if i := indexOf(r.in, prev.Dominant); i >= 0 && r.in[i].candidate() &&
					now.Sub(lastSwitch) < p.SwitchHold {
					t.Fatalf("%s lost the frame while speaking within the hold", prev.Dominant)
				}
				lastSwitch = now
			}
			prev, prevSpeaking = d, append(prevSpeaking[:0], d.Speaking...)
		}
	})
}

func checkActivity(t *testing.T, a Activity) {
	t.Helper()
	if a.Level > Silence || a.TalkTime < 0 || (a.Muted && (a.Speaking || a.Level != Silence)) {
		t.Fatalf("bad activity %+v", a)
	}
}

func checkDecision(t *testing.T, in []Input, prevSpeaking []string, prevDominant string, d Decision) {
	t.Helper()
	if d.Dominant != "" {
		i := indexOf(in, d.Dominant)
		if i < 0 || in[i].muted() {
			t.Fatalf("dominant %q absent or muted in %+v", d.Dominant, in)
		}
		if d.Dominant != prevDominant && !slices.Contains(d.Speaking, d.Dominant) {
			t.Fatalf("new dominant %q is not speaking", d.Dominant)
		}
	}
	if !slices.IsSorted(d.Speaking) || len(slices.Compact(slices.Clone(d.Speaking))) != len(d.Speaking) {
		t.Fatalf("speaking %v not sorted and unique", d.Speaking)
	}
	for _, id := range d.Speaking {
		if i := indexOf(in, id); i < 0 || !in[i].candidate() {
			t.Fatalf("%q listed speaking but is absent, muted or silent", id)
		}
	}
	wantStarted, wantStopped := diffSorted(prevSpeaking, d.Speaking, nil, nil)
	if !slices.Equal(d.Started, wantStarted) || !slices.Equal(d.Stopped, wantStopped) {
		t.Fatalf("started %v stopped %v, want %v %v", d.Started, d.Stopped, wantStarted, wantStopped)
	}
	if changed := d.Dominant != prevDominant || len(d.Started)+len(d.Stopped) > 0; d.Changed != changed {
		t.Fatalf("Changed = %v, want %v", d.Changed, changed)
	}
}
