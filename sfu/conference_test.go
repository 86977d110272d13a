package sfu

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
)

// confObserver records what a participant's UI would be told.
type confObserver struct {
	mu       sync.Mutex
	self     string
	roster   []Member
	dominant string
	slots    []Slot
}

func (o *confObserver) Joined(_ string, _ RoomSpec, self string) {
	o.mu.Lock()
	o.self = self
	o.mu.Unlock()
}
func (o *confObserver) Roster(_ string, m []Member) { o.mu.Lock(); o.roster = m; o.mu.Unlock() }
func (o *confObserver) Speakers(_, dominant string, _ []string) {
	o.mu.Lock()
	o.dominant = dominant
	o.mu.Unlock()
}
func (o *confObserver) VideoSlots(_ string, s []Slot) { o.mu.Lock(); o.slots = s; o.mu.Unlock() }

func (o *confObserver) get() (int, string, []Slot) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.roster), o.dominant, slices.Clone(o.slots)
}

type participant struct {
	client *sfutest.Client
	leg    *WebRTCLeg
	obs    *confObserver
	conf   *Conference
}

func testConferences(t *testing.T, mode VideoMode) *Conferences {
	t.Helper()
	cfg := ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: OpusCodecs{},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}
	return NewConferences([]RoomSpec{{Number: "800", Name: "Board", Video: mode}}, cfg, testLogger())
}

// joinRoom connects a fake browser and puts its leg into room 800, with
// server offers answered as a browser would.
func joinRoom(t *testing.T, api *MediaAPI, rooms *Conferences, number string, video bool) *participant {
	t.Helper()
	c, leg := newClientLeg(t, api, number, video)
	return enterRoom(t, rooms, number, c, leg)
}

// enterRoom puts a connected fake browser's leg into room 800.
func enterRoom(t *testing.T, rooms *Conferences, number string, c *sfutest.Client, leg *WebRTCLeg) *participant {
	t.Helper()
	return enterRoomAs(t, rooms, number, c, leg, nil)
}

// enterRoomAs is enterRoom with the client's answers to server offers
// rewritten by rewrite first (nil leaves them).
func enterRoomAs(t *testing.T, rooms *Conferences, number string, c *sfutest.Client, leg *WebRTCLeg, rewrite func(string) string) *participant {
	t.Helper()
	c.Listen()
	leg.SetOfferHandler(func(offer string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if answer, err := c.AnswerOffer(ctx, offer); err == nil {
				if rewrite != nil {
					answer = rewrite(answer)
				}
				_ = leg.ApplyAnswer(answer)
			}
		}()
	})
	p := &participant{client: c, leg: leg, obs: &confObserver{}}
	conf, err := rooms.Join(context.Background(), "800", "", "call-"+number, leg, p.obs)
	if err != nil {
		t.Fatal(err)
	}
	p.conf = conf
	t.Cleanup(func() { rooms.Leave(conf, leg) })
	return p
}

func TestConferenceMixMinusHasEveryoneElseButNotSelf(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoNone)
	freqs := map[string]float64{"1001": 440, "1002": 700, "1003": 1100}
	var ps []*participant
	for _, n := range []string{"1001", "1002", "1003"} {
		p := joinRoom(t, api, rooms, n, false)
		p.client.Level.Store(20)
		if err := p.client.StartTone(freqs[n], 8000); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	eventually(t, 10*time.Second, "a second of mix decoded by everyone", func() bool {
		for _, p := range ps {
			if len(p.client.Heard(1500*time.Millisecond)) < 72000 {
				return false
			}
		}
		return true
	})
	for _, p := range ps {
		heard := p.client.Heard(time.Second)
		own := sfutest.ToneDB(heard, freqs[p.leg.Identity().Number])
		for _, o := range ps {
			if o == p {
				continue
			}
			other := sfutest.ToneDB(heard, freqs[o.leg.Identity().Number])
			if other < -40 {
				t.Errorf("%s does not hear %s: %.1f dB", p.leg.Identity().Number, o.leg.Identity().Number, other)
			}
			if own > other-25 {
				t.Errorf("%s hears themselves: own %.1f dB vs other %.1f dB", p.leg.Identity().Number, own, other)
			}
		}
	}
	if n, _, _ := ps[0].obs.get(); n != 3 {
		t.Fatalf("roster has %d members, want 3", n)
	}
}

func TestSilentListenersHearTheTalkersAndSpeakerIsDetected(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoNone)
	talker := joinRoom(t, api, rooms, "1001", false)
	talker.client.Level.Store(15)
	if err := talker.client.StartTone(500, 8000); err != nil {
		t.Fatal(err)
	}
	var quiet []*participant
	for _, n := range []string{"1002", "1003", "1004"} {
		p := joinRoom(t, api, rooms, n, false)
		p.client.Silent.Store(true)
		if err := p.client.StartTone(900, 8000); err != nil {
			t.Fatal(err)
		}
		quiet = append(quiet, p)
	}
	eventually(t, 3*time.Second, "everyone told 1001 is the dominant speaker", func() bool {
		for _, p := range append(quiet, talker) {
			if _, d, _ := p.obs.get(); d != talker.leg.ID() {
				return false
			}
		}
		return true
	})
	eventually(t, 10*time.Second, "a second of mix decoded by the listeners", func() bool {
		for _, p := range quiet {
			if len(p.client.Heard(1500*time.Millisecond)) < 72000 {
				return false
			}
		}
		return true
	})
	for _, p := range quiet {
		if db := sfutest.ToneDB(p.client.Heard(time.Second), 500); db < -40 {
			t.Errorf("%s does not hear the talker: %.1f dB", p.leg.Identity().Number, db)
		}
	}
	if db := sfutest.ToneDB(talker.client.Heard(time.Second), 500); db > -60 {
		t.Errorf("the talker hears their own tone at %.1f dB", db)
	}
}

func TestAllModeForwardsEveryOtherVideoInItsOwnSlot(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	var ps []*participant
	for i, n := range []string{"1001", "1002", "1003"} {
		p := joinRoom(t, api, rooms, n, true)
		p.client.VideoMarker.Store(uint32('A' + i))
		p.client.StartSending(byte('a' + i))
		ps = append(ps, p)
	}
	for _, p := range ps {
		eventually(t, 8*time.Second, "two slots showing the two others", func() bool {
			return showsOthers(p, ps)
		})
	}
	rooms.Leave(ps[2].conf, ps[2].leg)
	eventually(t, 5*time.Second, "roster shrinks after a leave", func() bool {
		n, _, _ := ps[0].obs.get()
		return n == 2
	})
}

// showsOthers checks that every slot the observer reports as showing a
// member really carries that member's video marker.
func showsOthers(p *participant, all []*participant) bool {
	_, _, slots := p.obs.get()
	seen := 0
	for _, s := range slots {
		if s.Member == "" {
			continue
		}
		i := slices.IndexFunc(all, func(o *participant) bool { return o.leg.ID() == s.Member })
		if i < 0 || all[i] == p {
			return false
		}
		packets, marker := p.client.VideoOn(s.Mid)
		if packets < 5 || marker != byte('A'+i) {
			return false
		}
		seen++
	}
	return seen == len(all)-1
}

func TestSpeakerModeFollowsTheDominantSpeaker(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoSpeaker)
	var ps []*participant
	for i, n := range []string{"1001", "1002", "1003"} {
		p := joinRoom(t, api, rooms, n, true)
		p.client.VideoMarker.Store(uint32('A' + i))
		p.client.Silent.Store(true)
		if err := p.client.StartTone(300+float64(i)*200, 8000); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	speak := func(i int) {
		for j, p := range ps {
			p.client.Silent.Store(j != i)
			level := uint32(127)
			if j == i {
				level = 15
			}
			p.client.Level.Store(level)
		}
	}
	watcher := ps[0]
	for _, speaker := range []int{1, 2} {
		speak(speaker)
		eventually(t, 5*time.Second, "the one video follows the speaker", func() bool {
			_, d, slots := watcher.obs.get()
			if d != ps[speaker].leg.ID() || len(slots) != 1 || slots[0].Member != d {
				return false
			}
			_, marker := watcher.client.VideoOn(slots[0].Mid)
			return marker == byte('A'+speaker)
		})
	}
}

func TestRoomFullAndPIN(t *testing.T) {
	api := testMediaAPI(t)
	cfg := ConferenceConfig{Mixer: mixer.Config{PT: 111}, Speaker: audiolevel.DefaultParams(), Codecs: OpusCodecs{},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now}
	rooms := NewConferences([]RoomSpec{{Number: "800", Video: VideoNone, MaxParticipants: 1}, {Number: "801", PIN: "4711"}}, cfg, testLogger())
	_, a := newClientLeg(t, api, "1001", false)
	_, b := newClientLeg(t, api, "1002", false)
	conf, err := rooms.Join(context.Background(), "800", "", "c1", a, &confObserver{})
	if err != nil {
		t.Fatal(err)
	}
	defer rooms.Leave(conf, a)
	if _, err := rooms.Join(context.Background(), "800", "", "c2", b, &confObserver{}); err != ErrRoomFull {
		t.Fatalf("second join: %v, want ErrRoomFull", err)
	}
	if _, err := rooms.Join(context.Background(), "801", "", "c3", b, &confObserver{}); err != ErrPINRequired {
		t.Fatalf("no PIN: %v", err)
	}
	if _, err := rooms.Join(context.Background(), "801", "1234", "c3", b, &confObserver{}); err != ErrWrongPIN {
		t.Fatalf("wrong PIN: %v", err)
	}
	c2, err := rooms.Join(context.Background(), "801", "4711", "c3", b, &confObserver{})
	if err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	rooms.Leave(c2, b)
	if rooms.Live() != 1 {
		t.Fatalf("%d live rooms, want 1 after the PIN room emptied", rooms.Live())
	}
}
