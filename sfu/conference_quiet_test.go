package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"xphone/audiolevel"
	"xphone/sfu/mixer"
)

type dropWriter struct{}

func (dropWriter) Forward(*rtp.Packet) {}

// quietRoom is a conference whose goroutine has stopped, so the test owns
// its state and drives the pacing decisions itself, with one participant.
func quietRoom(t *testing.T) (*Conference, *mixer.Participant) {
	t.Helper()
	cfg := ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 2, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: OpusCodecs{},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}
	c, err := newConference(RoomSpec{Number: "800"}, cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	c.close()
	p := mixer.NewParticipant("a", dropWriter{}, func(bool) {})
	c.mix.Add(p)
	return c, p
}

// A room where nobody talks sleeps in bursts of quietBurst frames; the
// first talking packet wakes it (a silent one does not), and the wake-up
// mixes the talker at once, skipping the silent frames owed instead of
// producing them late, so that no frame of the talker is concealed.
func TestQuietRoomWakesOnTheFirstTalkingPacket(t *testing.T) {
	c, p := quietRoom(t)
	start := time.Now()
	clock := newMediaClock(c.cfg.Tick, maxMixBurst, start)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	c.advance(clock, start.Add(c.cfg.Tick))
	c.pace(timer, clock)
	if !c.quiet || !c.idle.Load() {
		t.Fatal("a room where nobody talks does not sleep in bursts")
	}
	p.Push(1, []byte{0xf8, 0xff, 0xfe}, audiolevel.Silence)
	c.wakeOnTalk(audiolevel.Silence)
	if len(c.wake) != 0 {
		t.Fatal("a silent packet woke the quiet room")
	}
	p.Push(2, []byte{0xf8, 0xff, 0xfe}, 20)
	c.wakeOnTalk(20)
	if len(c.wake) != 1 {
		t.Fatal("a talking packet did not wake the quiet room")
	}
	<-c.wake
	ticks, decodes := c.mix.Stats.Ticks.Load(), c.mix.Stats.Decodes.Load()
	if !c.talkWoke(clock, start.Add(4*c.cfg.Tick+c.cfg.Tick/2)) {
		t.Fatal("the wake-up produced nothing")
	}
	if got := c.mix.Stats.Ticks.Load() - ticks; got != 1 {
		t.Fatalf("the wake-up produced %d frames, want the talker's one (the silent ones skipped)", got)
	}
	if c.mix.Stats.Decodes.Load() == decodes {
		t.Fatal("the talker was not mixed on the wake-up")
	}
	c.pace(timer, clock)
	if c.quiet || c.idle.Load() {
		t.Fatal("a room with a talker still sleeps in bursts")
	}
}
