package audiolevel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDetectorSwitchTiming(t *testing.T) {
	tests := []struct {
		name string
		a, b script
		want []event
	}{
		{"after a long silence: exactly 260 ms after onset",
			talk(30, 0, ms(1000)), talk(35, ms(3000), ms(6000)),
			[]event{{ms(260), "A"}, {ms(3260), "B"}}},
		{"turn-taking, no gap, A sends silence",
			talk(30, 0, ms(3000)), talk(35, ms(3000), ms(6000)),
			[]event{{ms(260), "A"}, {ms(3260), "B"}}},
		{"turn-taking, no gap, A goes quiet (DTX)",
			until(talk(30, 0, ms(3000)), ms(3000)), talk(35, ms(3000), ms(6000)),
			[]event{{ms(260), "A"}, {ms(3260), "B"}}},
		{"turn-taking, quieter newcomer: levels cross 20 ms later",
			talk(25, 0, ms(3000)), talk(48, ms(3000), ms(6000)),
			[]event{{ms(260), "A"}, {ms(3280), "B"}}},
		{"misaligned onset",
			talk(30, 0, ms(1000)), talk(35, ms(3010), ms(6000)),
			[]event{{ms(260), "A"}, {ms(3260), "B"}}},
		{"150 ms burst never switches",
			talk(30, 0, ms(1000)), talk(5, ms(3000), ms(3150)),
			[]event{{ms(260), "A"}}},
		{"200 ms burst never switches",
			talk(30, 0, ms(1000)), talk(5, ms(3000), ms(3200)),
			[]event{{ms(260), "A"}}},
		{"misaligned 200 ms burst never switches",
			talk(30, 0, ms(1000)), talk(5, ms(3010), ms(3210)),
			[]event{{ms(260), "A"}}},
		{"200 ms burst over a talking dominant",
			talk(30, 0, ms(6000)), talk(5, ms(3010), ms(3210)),
			[]event{{ms(260), "A"}}},
		{"a burst alone wins nothing",
			talk(30, 0, 0), talk(5, ms(3000), ms(3200)),
			nil},
		{"the dominant keeps the frame through a long silence",
			talk(30, 0, ms(1000)), talk(30, 0, 0),
			[]event{{ms(260), "A"}}},
		{"the dominant keeps the frame after packets stop",
			until(talk(30, 0, ms(1000)), ms(1000)), talk(30, 0, 0),
			[]event{{ms(260), "A"}}},
		{"talking over at the same level does not switch",
			talk(30, 0, ms(6000)), talk(30, ms(2000), ms(6000)),
			[]event{{ms(260), "A"}}},
		{"a clearly louder voice over the dominant takes it",
			talk(40, 0, ms(6000)), talk(20, ms(2000), ms(6000)),
			[]event{{ms(260), "A"}, {ms(2600), "B"}}},
		{"a louder interruption inside the hold does not switch",
			talk(40, ms(2000), ms(6000)), seq(talk(30, 0, ms(1000)), talk(10, ms(2300), ms(2900))),
			[]event{{ms(260), "B"}, {ms(2260), "A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, DefaultParams(), "A", "B")
			r.script("A", tt.a)
			r.script("B", tt.b)
			if got := r.runUntil(ms(10000)); !slices.Equal(got, tt.want) {
				t.Fatalf("switches %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDetectorNoFlicker has two people talk over each other, trading
// loudness every 400 ms, or taking short random turns: the frame may move,
// but a new dominant keeps it for SwitchHold unless they stop speaking.
func TestDetectorNoFlicker(t *testing.T) {
	p := DefaultParams()
	trade := func(first bool) script {
		return func(at time.Duration) uint8 {
			if (at/ms(400))%2 == 0 == first {
				return 20
			}
			return 40
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	turnsA, turnsB := make([]uint8, 1000), make([]uint8, 1000)
	for i := 0; i < 1000; {
		n := 10 + rng.IntN(25) // turns of 200..700 ms
		a, b := uint8(20+rng.IntN(20)), uint8(Silence)
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		for ; n > 0 && i < 1000; n, i = n-1, i+1 {
			turnsA[i], turnsB[i] = a, b
		}
	}
	play := func(levels []uint8) script {
		return func(at time.Duration) uint8 { return levels[int(at/frame-1)%len(levels)] }
	}
	tests := []struct {
		name      string
		a, b      script
		minSwitch int
	}{
		{"trading loudness", trade(true), trade(false), 4},
		{"short random turns", play(turnsA), play(turnsB), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, p, "A", "B")
			r.script("A", tt.a)
			r.script("B", tt.b)
			var last event
			switches := 0
			for r.at < ms(20000) {
				prev := r.det.Dominant()
				d := r.tick()
				if d.Dominant == prev {
					continue
				}
				switches++
				if prev != "" && r.at-last.at < p.SwitchHold && slices.Contains(d.Speaking, prev) {
					t.Fatalf("at %v: %s took the frame from %s, who still speaks and got it at %v",
						r.at, d.Dominant, prev, last.at)
				}
				last = event{r.at, d.Dominant}
			}
			if switches < tt.minSwitch {
				t.Fatalf("only %d switches: the test exercises nothing", switches)
			}
		})
	}
}

func TestDetectorMuted(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *room)
		want  []event
	}{
		{"room-muted loud talker never wins", func(r *room) {
			r.muted[r.idx("M")] = true
		}, []event{{ms(260), "A"}}},
		{"self-muted (meter) loud talker never wins", func(r *room) {
			r.meters[r.idx("M")].SetMuted(true)
		}, []event{{ms(260), "A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, DefaultParams(), "A", "M")
			r.script("A", talk(45, 0, ms(4000)))
			r.script("M", talk(3, 0, ms(10000)))
			tt.setup(r)
			if got := r.runUntil(ms(10000)); !slices.Equal(got, tt.want) {
				t.Fatalf("switches %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("dominant muted mid-sentence loses the frame", func(t *testing.T) {
		r := newRoom(t, DefaultParams(), "A", "B")
		r.script("A", talk(20, 0, ms(10000)))
		r.script("B", talk(45, ms(500), ms(10000)))
		r.runUntil(ms(2000))
		r.muted[r.idx("A")] = true
		d := r.tick()
		if d.Dominant != "B" || !slices.Equal(d.Stopped, []string{"A"}) || !d.Changed {
			t.Fatalf("after muting A: %+v", d)
		}
		r.muted[r.idx("B")] = true
		if d := r.tick(); d.Dominant != "" || !slices.Equal(d.Stopped, []string{"B"}) {
			t.Fatalf("after muting everyone: %+v", d)
		}
	})
}

func TestDetectorLeaver(t *testing.T) {
	tests := []struct {
		name     string
		b        script
		dominant string
	}{
		{"another speaker takes over", talk(45, 0, ms(10000)), "B"},
		{"nobody else speaks", talk(45, 0, 0), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, DefaultParams(), "A", "B")
			r.script("A", talk(20, 0, ms(10000)))
			r.script("B", tt.b)
			r.runUntil(ms(2000))
			if r.det.Dominant() != "A" {
				t.Fatalf("dominant %q before leaving", r.det.Dominant())
			}
			r.absent[r.idx("A")] = true
			d := r.tick()
			if d.Dominant != tt.dominant || !slices.Equal(d.Stopped, []string{"A"}) || !d.Changed ||
				slices.Contains(d.Speaking, "A") {
				t.Fatalf("after A left: %+v", d)
			}
			if d := r.tick(); d.Changed {
				t.Fatalf("nothing changed after the leave: %+v", d)
			}
		})
	}
}

// in builds Inputs from "id" (silent), "id+" (speaking), "id!" (muted and
// loud), with the speaker's level after a colon: "B+:20".
func in(specs ...string) []Input {
	var out []Input
	for _, s := range specs {
		level := 30
		x := Input{Activity: Activity{Level: Silence}}
		rest := s
		if len(rest) > 0 {
			x.ID, rest = rest[:1], rest[1:]
		}
		if len(rest) > 0 && (rest[0] == '+' || rest[0] == '!') {
			x.Activity.Speaking, x.Muted = true, rest[0] == '!'
			rest = rest[1:]
			if len(rest) > 0 {
				fmt.Sscanf(rest, ":%d", &level)
			}
			x.Activity.Level = uint8(level)
		}
		out = append(out, x)
	}
	return out
}

func TestDetectorEvents(t *testing.T) {
	steps := []struct {
		at       time.Duration
		in       []Input
		dominant string
		speaking []string
		started  []string
		stopped  []string
		changed  bool
	}{
		{0, in("A", "B"), "", nil, nil, nil, false},
		{20, in("A+", "B"), "A", []string{"A"}, []string{"A"}, nil, true},
		{40, in("A+", "B"), "A", []string{"A"}, nil, nil, false},
		{60, in("A+", "B+:10"), "A", []string{"A", "B"}, []string{"B"}, nil, true},
		{80, in("A+", "B+:10"), "A", []string{"A", "B"}, nil, nil, false},
		{1020, in("A+", "B+:10"), "B", []string{"A", "B"}, nil, nil, true},
		{1040, in("A", "B+:10", "C+", "D!"), "B", []string{"B", "C"}, []string{"C"}, []string{"A"}, true},
		{1060, in("B", "C+:40"), "C", []string{"C"}, nil, []string{"B"}, true},
		{1080, in("B", "C"), "C", nil, nil, []string{"C"}, true},
		{1100, in("B", "C"), "C", nil, nil, nil, false},
		{1120, in("B"), "", nil, nil, nil, true},
		{1140, in("B", "", "E"), "", nil, nil, nil, false},
		{1160, in("E+", "C+:20", "A+:20", "B+"), "A", []string{"A", "B", "C", "E"},
			[]string{"A", "B", "C", "E"}, nil, true},
	}
	d := NewDetector(DefaultParams())
	for _, s := range steps {
		got := d.Decide(t0.Add(ms(int(s.at))), s.in)
		if got.Dominant != s.dominant || !slices.Equal(got.Speaking, s.speaking) ||
			!slices.Equal(got.Started, s.started) || !slices.Equal(got.Stopped, s.stopped) ||
			got.Changed != s.changed {
			t.Fatalf("at %d ms: got %+v\nwant dominant %q speaking %v started %v stopped %v changed %v",
				s.at, got, s.dominant, s.speaking, s.started, s.stopped, s.changed)
		}
	}
}

func TestDetectorZeroHold(t *testing.T) {
	p := DefaultParams()
	p.SwitchHold, p.Margin = 0, 0
	d := NewDetector(p)
	d.Decide(t0, in("A+:30", "B+:31"))
	if got := d.Decide(t0, in("A+:31", "B+:30")); got.Dominant != "B" {
		t.Fatalf("no hold, no margin: louder B should win at once: %+v", got)
	}
	d.SetParams(DefaultParams())
	if got := d.Decide(t0, in("A+:30", "B+:31")); got.Dominant != "B" {
		t.Fatalf("hold restored: %+v", got)
	}
}

// inputs100 is a big room: 100 participants, 5 of them speaking.
func inputs100() []Input {
	in := make([]Input, 100)
	for i := range in {
		in[i] = Input{ID: fmt.Sprintf("leg-%03d", i), Activity: Activity{Level: Silence}}
		if i%20 == 7 {
			in[i].Activity = Activity{Speaking: true, Level: uint8(20 + i%13), TalkTime: time.Second}
		}
	}
	return in
}

func TestDetectorAllocs(t *testing.T) {
	d := NewDetector(DefaultParams())
	in := inputs100()
	now := t0
	step := func() {
		now = now.Add(frame)
		in[3].Activity.Speaking = !in[3].Activity.Speaking // a Started/Stopped every call
		d.Decide(now, in)
	}
	step()
	step()
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Fatalf("Decide allocates %v times in steady state", n)
	}
}

func BenchmarkDetectorDecide100(b *testing.B) {
	d := NewDetector(DefaultParams())
	in := inputs100()
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(frame)
		in[3].Activity.Speaking = !in[3].Activity.Speaking
		d.Decide(now, in)
	}
}
