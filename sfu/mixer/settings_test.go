package mixer

import "testing"

// With DTX off (policy.mixer.dtx: false) a silent room sends every frame;
// turning it off on a live mixer takes effect at the next tick, and back
// on, the silent mix goes quiet again.
func TestDTXOffSendsEverySilentFrame(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	listener := newMember(t, m, "l")
	idle := func(ticks int) int {
		before := len(shared.headers)
		for range ticks {
			listener.say(0, 127)
			m.Tick()
		}
		return len(shared.headers) - before
	}
	if got := idle(2 * dtxEvery); got > 2 {
		t.Fatalf("DTX on: %d packets in %d silent ticks, want at most 2", got, 2*dtxEvery)
	}
	cfg := m.cfg
	cfg.NoDTX = true
	if err := m.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if got := idle(2 * dtxEvery); got != 2*dtxEvery {
		t.Fatalf("DTX off: %d packets in %d silent ticks, want every one", got, 2*dtxEvery)
	}
	for i := 1; i < len(shared.headers); i++ {
		if d := shared.headers[i].SequenceNumber - shared.headers[i-1].SequenceNumber; d != 1 {
			t.Fatalf("sequence step %d at packet %d", d, i)
		}
	}
	cfg.NoDTX = false
	if err := m.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if got := idle(2 * dtxEvery); got > 2 {
		t.Fatalf("DTX back on: %d packets in %d silent ticks, want at most 2", got, 2*dtxEvery)
	}
}

// tunedCodec is a pcmCodec that remembers the setting it was tuned to.
type tunedCodec struct {
	pcmCodec
	setting int
}

// tuningCoders makes tunedCodecs and tunes them to setting.
type tuningCoders struct{ setting int }

func (c tuningCoders) NewDecoder() (Decoder, error) { return pcmCodec{}, nil }
func (c tuningCoders) NewEncoder() (Encoder, error) {
	return &tunedCodec{setting: c.setting}, nil
}
func (c tuningCoders) Tune(e Encoder) error {
	e.(*tunedCodec).setting = c.setting
	return nil
}

// SetCoders reaches every encoder a live mixer holds — the shared mix's,
// the talkers' own, the spares — and those it makes later.
func TestSetCodersRetunesEveryEncoder(t *testing.T) {
	m, err := New(Config{TopK: 3, Frame: frame, Threshold: 60, HoldTicks: 2}, tuningCoders{setting: 5}, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	spare := newMember(t, m, "spare")
	for range 3 {
		a.say(100, 10)
		b.say(100, 10)
		spare.say(100, 10)
		m.Tick()
	}
	for range idleTicks + 5 { // spare falls quiet long enough to give its coders back
		a.say(100, 10)
		b.say(100, 10)
		spare.say(0, 127)
		m.Tick()
	}
	if len(m.spare.encoders) == 0 {
		t.Fatal("no spare encoder: the test does not reach the pool")
	}
	if err := m.SetCoders(tuningCoders{setting: 0}); err != nil {
		t.Fatal(err)
	}
	encs := []Encoder{m.shared.enc, a.p.own.enc, b.p.own.enc}
	encs = append(encs, m.spare.encoders...)
	for i, e := range encs {
		if got := e.(*tunedCodec).setting; got != 0 {
			t.Errorf("encoder %d still at setting %d after the reload", i, got)
		}
	}
	c := newMember(t, m, "c")
	for range 3 {
		c.say(100, 5)
		m.Tick()
	}
	if c.p.own.enc == nil || c.p.own.enc.(*tunedCodec).setting != 0 {
		t.Error("a talker's encoder made after the reload does not have the new setting")
	}
}
