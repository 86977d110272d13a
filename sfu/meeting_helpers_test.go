package sfu

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/sfu/mixer"
)

// memLeg is a leg without media, for tests of what a meeting's people do
// (chat, hands, moderation) rather than of its audio and video.
type memLeg struct {
	id     string
	ident  Identity
	origin Origin
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	reason Reason
}

func newMemLeg(number string) *memLeg {
	return &memLeg{id: NewID("leg"), ident: Identity{Number: number, Name: "N" + number},
		origin: ExtensionOrigin(number), done: make(chan struct{})}
}

// sipMemLeg is a party who called in through a trunk showing number.
func sipMemLeg(number string) *memLeg {
	l := newMemLeg(number)
	l.origin = TrunkOrigin("pbx", false)
	return l
}

func (l *memLeg) ID() string            { return l.id }
func (l *memLeg) Identity() Identity    { return l.ident }
func (l *memLeg) Origin() Origin        { return l.origin }
func (l *memLeg) Ups() []*UpTrack       { return nil }
func (l *memLeg) Downs() []*DownTrack   { return nil }
func (l *memLeg) Done() <-chan struct{} { return l.done }
func (l *memLeg) SendDTMF(rune)         {}
func (l *memLeg) EndReason() Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}
func (l *memLeg) Hangup(_ context.Context, r Reason) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.reason = r
		l.mu.Unlock()
		close(l.done)
	})
	return nil
}

// meetObserver records everything a participant's UI is told.
type meetObserver struct {
	confObserver
	mu      sync.Mutex
	state   MeetingState
	chat    []ChatMessage
	history []ChatMessage
	notices []Notice
}

func (o *meetObserver) MeetingState(_ string, st MeetingState) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.state = st
}

func (o *meetObserver) Chat(_ string, msgs []ChatMessage, history bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if history {
		o.history = slices.Clone(msgs)
		return
	}
	o.chat = append(o.chat, msgs...)
}

func (o *meetObserver) Notice(_ string, n Notice) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices = append(o.notices, n)
}

func (o *meetObserver) getState() MeetingState {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state
}

func (o *meetObserver) getChat() []ChatMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.chat)
}

func (o *meetObserver) getNotices() []Notice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.notices)
}

// hasNotice reports whether o was told kind about the member with number.
func (o *meetObserver) hasNotice(kind NoticeKind, number string) bool {
	for _, n := range o.getNotices() {
		if n.Kind == kind && (number == "" || n.Number == number) {
			return true
		}
	}
	return false
}

// member returns what o's roster says of number (or member id).
func (o *meetObserver) member(number string) (Member, bool) {
	o.confObserver.mu.Lock()
	defer o.confObserver.mu.Unlock()
	for _, m := range o.roster {
		if m.Number == number || m.ID == number {
			return m, true
		}
	}
	return Member{}, false
}

// meetingRooms returns room 800 (moderated by 1001; 1009 is an admin)
// with policy p (zero fields: the defaults).
func meetingRooms(t *testing.T, mode VideoMode, p MeetingPolicy, rec RecordingConfig) *Conferences {
	t.Helper()
	p.IsAdmin = func(n string) bool { return n == "1009" }
	cfg := ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: OpusCodecs{},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now, Meeting: p, Recording: rec,
	}
	return NewConferences([]RoomSpec{{Number: "800", Name: "Daily", Video: mode, Moderators: []string{"1001"}}}, cfg, testLogger())
}

// joinMem puts a media-less leg into room 800.
func joinMem(t *testing.T, rooms *Conferences, leg *memLeg) (*Conference, *meetObserver) {
	t.Helper()
	obs := &meetObserver{}
	conf, err := rooms.Join(context.Background(), "800", "", "call-"+leg.id, leg, obs)
	if err != nil {
		t.Fatalf("%s joins: %v", leg.ident.Number, err)
	}
	t.Cleanup(func() { rooms.Leave(conf, leg) })
	return conf, obs
}
