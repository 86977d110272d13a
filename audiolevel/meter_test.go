package audiolevel

import (
	"sync"
	"testing"
	"time"
)

// feed observes one 20 ms packet per frame ending in (from, to] playing s.
func feed(m *Meter, s script, from, to time.Duration) {
	for at := from + frame; at <= to; at += frame {
		if lvl := s(at); lvl != noPacket {
			m.Observe(lvl, lvl < Silence, frame, t0.Add(at))
		}
	}
}

func TestMeterSpeechRun(t *testing.T) {
	p := DefaultParams()
	tests := []struct {
		name     string
		s        script
		until    time.Duration // feed packets up to here
		at       time.Duration // snapshot time
		speaking bool
		talk     time.Duration
	}{
		{"12 frames is not yet speech", talk(30, 0, ms(240)), ms(240), ms(240), false, ms(240)},
		{"13 frames is speech", talk(30, 0, ms(260)), ms(260), ms(260), true, ms(260)},
		{"200 ms burst", talk(30, 0, ms(200)), ms(220), ms(220), false, ms(200)},
		{"misaligned 200 ms burst", talk(30, ms(10), ms(210)), ms(240), ms(240), false, ms(220)},
		{"level above threshold is not speech", talk(p.Threshold+1, 0, ms(2000)), ms(2000), ms(2000), false, 0},
		{"level at threshold is speech", talk(p.Threshold, 0, ms(2000)), ms(2000), ms(2000), true, ms(2000)},
		{"gap below release bridged",
			seq(talk(30, 0, ms(500)), talk(30, ms(1000), ms(1200))), ms(1200), ms(1200), true, ms(1200)},
		{"speaking through the gap",
			seq(talk(30, 0, ms(500)), talk(30, ms(1000), ms(1200))), ms(900), ms(900), true, ms(500)},
		{"gap over release ends the run",
			seq(talk(30, 0, ms(500)), talk(30, ms(1200), ms(1400))), ms(1400), ms(1400), false, ms(200)},
		{"run ends release after last speech", talk(30, 0, ms(500)), ms(1100), ms(1100), true, ms(500)},
		{"run over just after release", talk(30, 0, ms(500)), ms(1120), ms(1120), false, 0},
		{"packets stop: decays to not speaking", until(talk(30, 0, ms(2000)), ms(1000)), ms(3000), ms(1700), false, 0},
		{"choppy speech, 210 ms on in 300, counts", clicks(30, ms(210), ms(300)), ms(1000), ms(1000), true, ms(1000)},
		{"typing clicks", clicks(35, ms(20), ms(150)), ms(5000), ms(5000), false, ms(4980)},
		{"coughs every second", clicks(20, ms(200), ms(1000)), ms(9200), ms(9200), false, ms(200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMeter(p)
			feed(m, tt.s, 0, tt.until)
			a := m.Snapshot(t0.Add(tt.at))
			if a.Speaking != tt.speaking || a.TalkTime != tt.talk {
				t.Fatalf("Speaking, TalkTime = %v, %v; want %v, %v", a.Speaking, a.TalkTime, tt.speaking, tt.talk)
			}
		})
	}
}

// TestMeterNeverSpeaking checks at every frame that noise never counts.
func TestMeterNeverSpeaking(t *testing.T) {
	tests := []struct {
		name string
		s    script
	}{
		{"150 ms burst", talk(30, 0, ms(150))},
		{"150 ms burst misaligned", talk(30, ms(10), ms(160))},
		{"200 ms burst", talk(30, 0, ms(200))},
		{"200 ms burst misaligned", talk(30, ms(10), ms(210))},
		{"typing: 20 ms clicks every 150 ms", clicks(35, ms(20), ms(150))},
		{"40 ms clicks every 100 ms", clicks(35, ms(40), ms(100))},
		{"200 ms coughs every second", clicks(20, ms(200), time.Second)},
		{"loud noise above threshold", talk(DefaultParams().Threshold+1, 0, ms(5000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMeter(DefaultParams())
			for at := frame; at <= ms(5000); at += frame {
				feed(m, tt.s, at-frame, at)
				if m.Snapshot(t0.Add(at)).Speaking {
					t.Fatalf("speaking at %v", at)
				}
			}
		})
	}
}

// clicks is a burst of length n at level every period, forever.
func clicks(level uint8, n, period time.Duration) script {
	return func(at time.Duration) uint8 {
		if (at-frame)%period < n {
			return level
		}
		return Silence
	}
}

func TestMeterLevel(t *testing.T) {
	tests := []struct {
		name  string
		s     script
		until time.Duration
		at    time.Duration
		want  uint8
	}{
		{"steady level converges", talk(30, 0, ms(3000)), ms(3000), ms(3000), 30},
		{"no packets yet", talk(30, 0, 0), 0, ms(100), Silence},
		{"silence", talk(30, 0, 0), ms(1000), ms(1000), Silence},
		{"one frame of lateness does not sag", talk(30, 0, ms(3000)), ms(3000), ms(3020), 30},
		{"decays while packets are missing", until(talk(30, 0, ms(3000)), ms(2000)), ms(3000), ms(2320), 91},
		{"silent when packets stopped longer than release", until(talk(30, 0, ms(3000)), ms(2000)), ms(3000), ms(2620), Silence},
		{"silence packets pull it up", talk(30, 0, ms(2000)), ms(2300), ms(2300), 91},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMeter(DefaultParams())
			feed(m, tt.s, 0, tt.until)
			if got := m.Snapshot(t0.Add(tt.at)).Level; got != tt.want {
				t.Fatalf("Level = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMeterMuted(t *testing.T) {
	m := NewMeter(DefaultParams())
	loud := talk(5, 0, ms(10000))
	feed(m, loud, 0, ms(1000))
	if a := m.Snapshot(t0.Add(ms(1000))); !a.Speaking || a.Muted {
		t.Fatalf("before mute: %+v", a)
	}
	m.SetMuted(true)
	if a := m.Snapshot(t0.Add(ms(1000))); a.Speaking || a.Level != Silence || !a.Muted {
		t.Fatalf("muted: %+v", a)
	}
	feed(m, loud, ms(1000), ms(3000)) // a moderator mute: the browser keeps sending
	if a := m.Snapshot(t0.Add(ms(3000))); a.Speaking || a.Level != Silence {
		t.Fatalf("muted while sending: %+v", a)
	}
	m.SetMuted(false)
	if a := m.Snapshot(t0.Add(ms(3000))); a.Speaking {
		t.Fatalf("unmuted: speech while muted must not carry over: %+v", a)
	}
	feed(m, loud, ms(3000), ms(3260))
	if a := m.Snapshot(t0.Add(ms(3260))); !a.Speaking {
		t.Fatalf("unmuted and talking for 260 ms: %+v", a)
	}
}

func TestMeterRequireVoice(t *testing.T) {
	p := DefaultParams()
	p.RequireVoice = true
	for _, voice := range []bool{false, true} {
		m := NewMeter(p)
		for at := frame; at <= ms(1000); at += frame {
			m.Observe(30, voice, frame, t0.Add(at))
		}
		if got := m.Snapshot(t0.Add(ms(1000))).Speaking; got != voice {
			t.Errorf("voice=%v: Speaking = %v", voice, got)
		}
	}
}

func TestMeterZeroValueAndOddInput(t *testing.T) {
	var m Meter // zero value uses DefaultParams
	if a := m.Snapshot(t0); a.Speaking || a.Level != Silence || !a.LastPacket.IsZero() {
		t.Fatalf("fresh meter: %+v", a)
	}
	m.Observe(30, true, 0, t0.Add(ms(20))) // 0 duration means 20 ms
	m.Observe(200, true, -time.Second, t0.Add(ms(40)))
	m.Observe(30, true, frame, t0) // clock went backwards
	a := m.Snapshot(t0.Add(ms(40)))
	if a.LastPacket != t0.Add(ms(40)) || a.TalkTime != ms(40) || a.Level > Silence {
		t.Fatalf("odd input: %+v", a)
	}
	if a := m.Snapshot(t0.Add(-time.Hour)); a.Level > Silence || a.TalkTime < 0 {
		t.Fatalf("snapshot before base: %+v", a)
	}
}

func TestMeterLiveParams(t *testing.T) {
	m := NewMeter(DefaultParams())
	feed(m, talk(55, 0, ms(1000)), 0, ms(1000))
	if m.Snapshot(t0.Add(ms(1000))).Speaking {
		t.Fatal("level 55 is above the default threshold")
	}
	p := DefaultParams()
	p.Threshold = 60
	m.SetParams(p)
	feed(m, talk(55, 0, ms(2000)), ms(1000), ms(2000))
	if !m.Snapshot(t0.Add(ms(2000))).Speaking {
		t.Fatal("after raising the threshold level 55 is speech")
	}
}

// TestMeterConcurrent runs one writer against several readers under -race
// and checks every snapshot is internally consistent.
func TestMeterConcurrent(t *testing.T) {
	m := NewMeter(DefaultParams())
	const packets = 20000
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := 1; i <= packets; i++ {
			lvl := uint8(20)
			if i%50 > 40 {
				lvl = Silence
			}
			m.Observe(lvl, true, frame, t0.Add(time.Duration(i)*frame))
		}
	})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				a := m.Snapshot(t0.Add(packets * frame))
				if a.Level > Silence || a.TalkTime < 0 || (a.Speaking && a.LastSpeech.IsZero()) {
					t.Errorf("inconsistent snapshot %+v", a)
					return
				}
				if !a.LastSpeech.IsZero() && a.LastSpeech.After(a.LastPacket) {
					t.Errorf("speech after last packet: %+v", a)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestMeterAllocs(t *testing.T) {
	m := NewMeter(DefaultParams())
	m.Observe(30, true, frame, t0)
	at := t0
	if n := testing.AllocsPerRun(1000, func() {
		at = at.Add(frame)
		m.Observe(30, true, frame, at)
		m.Snapshot(at)
	}); n != 0 {
		t.Fatalf("Observe+Snapshot allocate %v times", n)
	}
}

func BenchmarkMeterObserve(b *testing.B) {
	m := NewMeter(DefaultParams())
	at := t0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		at = at.Add(frame)
		lvl := uint8(30)
		if i%8 == 0 {
			lvl = Silence
		}
		m.Observe(lvl, true, frame, at)
	}
}

func BenchmarkMeterSnapshot(b *testing.B) {
	m := NewMeter(DefaultParams())
	feed(m, talk(30, 0, time.Second), 0, time.Second)
	now := t0.Add(time.Second)
	b.ReportAllocs()
	for b.Loop() {
		m.Snapshot(now)
	}
}
