package sfu

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	recording "xphone/sfu/recorder"
	"xphone/sfu/sfutest"
)

// meetParticipant is a fake browser in room 800 whose observer hears the
// meeting features too.
type meetParticipant struct {
	client *sfutest.Client
	leg    *WebRTCLeg
	obs    *meetObserver
	conf   *Conference
}

func joinMeeting(t *testing.T, api *MediaAPI, rooms *Conferences, number string, video bool) *meetParticipant {
	t.Helper()
	c, leg := newClientLeg(t, api, number, video)
	c.Listen()
	leg.SetOfferHandler(func(offer string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if answer, err := c.AnswerOffer(ctx, offer); err == nil {
				_ = leg.ApplyAnswer(answer)
			}
		}()
	})
	p := &meetParticipant{client: c, leg: leg, obs: &meetObserver{}}
	conf, err := rooms.Join(context.Background(), "800", "", "call-"+number, leg, p.obs)
	if err != nil {
		t.Fatal(err)
	}
	p.conf = conf
	t.Cleanup(func() { rooms.Leave(conf, leg) })
	return p
}

// talk makes p send a tone at a talking level, or silence.
func (p *meetParticipant) talk(on bool) {
	p.client.Silent.Store(!on)
	if on {
		p.client.Level.Store(15)
	} else {
		p.client.Level.Store(127)
	}
}

func hears(p *meetParticipant, freq float64, d time.Duration) float64 {
	return sfutest.ToneDB(p.client.Heard(d), freq)
}

// A moderator's mute takes a participant out of everyone's mix within a
// moment; their own unmute brings them back.
func TestModeratorMuteStopsMixingThem(t *testing.T) {
	api := testMediaAPI(t)
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{SelfUnmute: true}, RecordingConfig{})
	mod := joinMeeting(t, api, rooms, "1001", false)
	talker := joinMeeting(t, api, rooms, "1002", false)
	listener := joinMeeting(t, api, rooms, "1003", false)
	for i, p := range []*meetParticipant{mod, talker, listener} {
		if err := p.client.StartTone(float64(300+400*i), 8000); err != nil {
			t.Fatal(err)
		}
		p.talk(p != listener) // the moderator talks on, so the mix keeps flowing
	}
	eventually(t, 8*time.Second, "1003 hears 1002", func() bool { return hears(listener, 700, 500*time.Millisecond) > -35 })
	if err := mod.conf.Moderate(bg, mod.leg, ModMute, talker.leg.ID(), true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "1002 gone from 1003's mix", func() bool {
		return hears(listener, 700, 400*time.Millisecond) < -60 && hears(listener, 300, 400*time.Millisecond) > -35
	})
	if m, _ := listener.obs.member("1002"); !m.ModMuted {
		t.Fatal("1002 is not shown muted")
	}
	if err := talker.conf.SetMicOff(bg, talker.leg, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "1002 back in the mix", func() bool { return hears(listener, 700, 400*time.Millisecond) > -35 })
}

// A shared screen reaches everyone else on a video slot of its own, marked
// as a screen, while the sharer's camera keeps its slot; the policy's
// maximum refuses a second share, and the slot goes when sharing stops.
func TestScreenShareGetsItsOwnSlot(t *testing.T) {
	api := testMediaAPI(t)
	rooms := meetingRooms(t, VideoAll, MeetingPolicy{MaxShares: 1}, RecordingConfig{})
	var ps []*meetParticipant
	for i, n := range []string{"1001", "1002", "1003"} {
		p := joinMeeting(t, api, rooms, n, true)
		p.client.VideoMarker.Store(uint32('A' + i))
		p.client.StartSending(byte('a' + i))
		ps = append(ps, p)
	}
	sharer := ps[0]
	if err := sharer.client.ShareScreen('S'); err != nil {
		t.Fatal(err)
	}
	if err := sharer.conf.ShareScreen(bg, sharer.leg, true); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps[1:] {
		deadline := time.Now().Add(8 * time.Second)
		for !(slotShows(p, sharer.leg.ID(), true, 'S') && slotShows(p, sharer.leg.ID(), false, 'A')) {
			if time.Now().After(deadline) {
				_, _, slots := p.obs.get()
				for _, s := range slots {
					n, m := p.client.VideoOn(s.Mid)
					t.Logf("slot %+v: %d packets, marker %q", s, n, m)
				}
				t.Fatal("the screen and the sharer's camera are not on their own slots")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if m, _ := p.obs.member("1001"); !m.Screen {
			t.Fatal("the roster does not mark the sharer")
		}
	}
	if err := ps[1].conf.ShareScreen(bg, ps[1].leg, true); !errors.Is(err, ErrShareLimit) {
		t.Fatalf("a second share: %v, want ErrShareLimit", err)
	}
	sharer.client.StopScreen()
	if err := sharer.conf.ShareScreen(bg, sharer.leg, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "the screen slot released", func() bool {
		_, _, slots := ps[1].obs.get()
		for _, s := range slots {
			if s.Screen {
				return false
			}
		}
		m, _ := ps[1].obs.member("1001")
		return !m.Screen
	})
	if err := ps[1].client.ShareScreen('T'); err != nil {
		t.Fatal(err)
	}
	if err := ps[1].conf.ShareScreen(bg, ps[1].leg, true); err != nil {
		t.Fatalf("a share after the first ended: %v", err)
	}
	eventually(t, 8*time.Second, "1001 sees 1002's screen", func() bool { return slotShows(sharer, ps[1].leg.ID(), true, 'T') })
}

// slotShows reports whether one of p's slots shows member's camera or
// screen and carries marker.
func slotShows(p *meetParticipant, member string, screen bool, marker byte) bool {
	_, _, slots := p.obs.get()
	for _, s := range slots {
		if s.Member == member && s.Screen == screen {
			n, m := p.client.VideoOn(s.Mid)
			return n >= 5 && m == marker
		}
	}
	return false
}

// A recording keeps the room's mix as Ogg Opus: the start beep, then the
// three talkers' tones in the order they spoke; the current speaker's
// video goes to WebM. Everyone is told it runs; only a moderator may
// start it.
func TestRecordingKeepsTheMixInOrder(t *testing.T) {
	api := testMediaAPI(t)
	dir := t.TempDir()
	rooms := meetingRooms(t, VideoAll, MeetingPolicy{}, RecordingConfig{Dir: dir})
	freqs := []float64{440, 700, 1100}
	var ps []*meetParticipant
	for i, n := range []string{"1001", "1002", "1003"} {
		p := joinMeeting(t, api, rooms, n, true)
		p.client.VideoMarker.Store(uint32('A' + i))
		if err := p.client.StartTone(freqs[i], 8000); err != nil {
			t.Fatal(err)
		}
		p.talk(false)
		ps = append(ps, p)
	}
	if err := ps[1].conf.Record(bg, ps[1].leg, true); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("a participant records: %v", err)
	}
	if err := ps[0].conf.Record(bg, ps[0].leg, true); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.obs.getState().Recording || !p.obs.hasNotice(NoticeRecording, "") {
			t.Fatal("not everyone is told the room is recorded")
		}
	}
	time.Sleep(600 * time.Millisecond) // the beep
	for _, p := range ps {
		p.talk(true)
		time.Sleep(1500 * time.Millisecond)
		p.talk(false)
	}
	if err := ps[0].conf.Record(bg, ps[0].leg, false); err != nil {
		t.Fatal(err)
	}
	if ps[2].obs.getState().Recording || !ps[2].obs.hasNotice(NoticeRecordingStopped, "") {
		t.Fatal("the end of the recording is not told")
	}
	list, err := recording.List(dir)
	if err != nil || len(list) != 1 || !list[0].Video || list[0].Duration < 4*time.Second {
		t.Fatalf("recordings: %+v, %v", list, err)
	}
	pcm := decodeRecording(t, dir+"/"+list[0].Name+".ogg")
	if db := sfutest.ToneDB(pcm[:24000], 1400); db < -30 {
		t.Fatalf("no start beep: %.1f dB", db)
	}
	last := 0.0
	for _, f := range freqs {
		at := loudestSecond(pcm, f)
		if at < 0 || at <= last {
			t.Fatalf("%.0f Hz loudest at %.1f s, after the last talker's %.1f s", f, at, last)
		}
		last = at
	}
}

func decodeRecording(t *testing.T, path string) []int16 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := recording.ReadOggOpus(data)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := OpusCodecs{}.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, 5760)
	var pcm []int16
	for _, p := range o.Packets {
		n, err := dec.Decode(p, buf)
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, buf[:n]...)
	}
	return pcm
}

// loudestSecond is where (in seconds, by half-second windows) freq is
// loudest in pcm; -1 if it is never above -30 dB.
func loudestSecond(pcm []int16, freq float64) float64 {
	best, at := -30.0, -1.0
	for i := 0; i+24000 <= len(pcm); i += 12000 {
		if db := sfutest.ToneDB(pcm[i:i+24000], freq); db > best {
			best, at = db, float64(i)/48000
		}
	}
	return at
}

// fullDisk is a recording file on a disk with room bytes free.
type fullDisk struct {
	room, used int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if f.used+len(p) > f.room {
		return 0, syscall.ENOSPC
	}
	f.used += len(p)
	return len(p), nil
}
func (f *fullDisk) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (f *fullDisk) Close() error                           { return nil }

// A disk that fills up stops the recording with a notice to everyone; the
// meeting goes on.
func TestFullDiskStopsTheRecordingNotTheMeeting(t *testing.T) {
	api := testMediaAPI(t)
	create := func(string) (recording.WriteAtCloser, error) { return &fullDisk{room: 6000}, nil }
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{}, RecordingConfig{Dir: t.TempDir(), Create: create})
	mod := joinMeeting(t, api, rooms, "1001", false)
	talker := joinMeeting(t, api, rooms, "1002", false)
	if err := talker.client.StartTone(700, 8000); err != nil {
		t.Fatal(err)
	}
	talker.talk(true)
	if err := mod.conf.Record(bg, mod.leg, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the recording stopped with a notice", func() bool {
		return mod.obs.hasNotice(NoticeRecordingFailed, "") && !mod.obs.getState().Recording
	})
	time.Sleep(500 * time.Millisecond)
	if db := hears(mod, 700, 400*time.Millisecond); db < -35 {
		t.Fatalf("the meeting's audio stopped too: %.1f dB", db)
	}
}
