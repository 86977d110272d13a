package sfu

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Who names who may use a meeting feature.
type Who string

// Who may share a screen or record.
const (
	WhoEveryone   Who = "everyone"
	WhoModerators Who = "moderators"
	WhoNobody     Who = "nobody"
)

// MeetingPolicy is who may do what in a meeting room.
type MeetingPolicy struct {
	Share      Who // who may share a screen
	MaxShares  int // screens shared at once; 0 means 1
	Record     Who // who may start and stop a recording
	SelfUnmute bool
	// HandLowerAfter lowers a raised hand once its owner has spoken this
	// long; 0: hands stay up until lowered.
	HandLowerAfter time.Duration
	ChatHistory    int // chat messages kept for late joiners; 0 means 100
	ChatMaxChars   int // longest chat message in characters; 0 means 1000
	// IsAdmin reports whether an extension is an administrator, who
	// moderates every room; nil: nobody is.
	IsAdmin func(number string) bool
}

// DefaultMeetingPolicy: anyone may share one screen at a time,
// moderators record, a muted participant may unmute, a hand goes down
// after three seconds of speaking.
var DefaultMeetingPolicy = MeetingPolicy{Share: WhoEveryone, MaxShares: 1, Record: WhoModerators, SelfUnmute: true,
	HandLowerAfter: 3 * time.Second, ChatHistory: 100, ChatMaxChars: 1000}

// Errors of meeting requests.
var (
	// ErrNotModerator refuses a moderator's action to someone who is not one.
	ErrNotModerator = errors.New("sfu: only a moderator may do that")
	// ErrNotAllowed refuses what the meeting policy does not allow.
	ErrNotAllowed = errors.New("sfu: the meeting policy does not allow that")
	// ErrShareLimit refuses a screen share beyond the room's maximum.
	ErrShareLimit = errors.New("sfu: as many screens as allowed are shared already")
	// ErrNoMember: the participant named is not in the room.
	ErrNoMember = errors.New("sfu: no such participant in the room")
	// ErrRoomLocked refuses a join to a locked room.
	ErrRoomLocked = errors.New("sfu: the room is locked")
	// ErrBadChat refuses an empty or oversized chat message.
	ErrBadChat = errors.New("sfu: chat message is empty or too long")
	// ErrChatRate refuses chat messages sent faster than the room takes them.
	ErrChatRate = errors.New("sfu: too many chat messages")
	// ErrNoVideo: the room or the participant has no video for a screen.
	ErrNoVideo = errors.New("sfu: no video in this call")
)

// MeetingState is the room as one participant's controls see it.
type MeetingState struct {
	Locked     bool `json:"locked"`
	Recording  bool `json:"recording"`
	Moderator  bool `json:"moderator"`   // this participant may moderate
	MayShare   bool `json:"may_share"`   // … share a screen
	MayRecord  bool `json:"may_record"`  // … start and stop recording
	SelfUnmute bool `json:"self_unmute"` // … unmute after a moderator muted them
}

// Notice is an event the room's participants are told about.
type Notice struct {
	Kind   NoticeKind `json:"kind"`
	Member string     `json:"member,omitempty"` // whom it is about (member id)
	Number string     `json:"number,omitempty"`
	Name   string     `json:"name,omitempty"`
	By     string     `json:"by,omitempty"` // the moderator's number
	ByName string     `json:"by_name,omitempty"`
	Detail string     `json:"detail,omitempty"` // why a recording stopped
}

// NoticeKind says what happened.
type NoticeKind string

// Notices.
const (
	NoticeJoined           NoticeKind = "joined"
	NoticeLeft             NoticeKind = "left"
	NoticeRemoved          NoticeKind = "removed"
	NoticeMuted            NoticeKind = "muted"   // by a moderator
	NoticeUnmuted          NoticeKind = "unmuted" // a moderator lifted it
	NoticeLocked           NoticeKind = "locked"
	NoticeUnlocked         NoticeKind = "unlocked"
	NoticeRecording        NoticeKind = "recording_started"
	NoticeRecordingStopped NoticeKind = "recording_stopped"
	NoticeRecordingFailed  NoticeKind = "recording_failed"
)

// MeetingObserver hears a participant's meeting features: the room's
// state, chat and notices. Observers that do not implement it (a SIP
// party's) hear none of it. Calls must not block.
type MeetingObserver interface {
	MeetingState(callID string, st MeetingState)
	// Chat delivers messages: the room's history when history is set
	// (on joining), else one new message.
	Chat(callID string, msgs []ChatMessage, history bool)
	Notice(callID string, n Notice)
}

// meetingRoom is the room-wide meeting state, owned by the conference goroutine.
type meetingRoom struct {
	locked  bool
	chat    []ChatMessage
	chatSeq uint64
	rec     *roomRecording // nil while not recording
}

// meetingMember is one participant's meeting state.
type meetingMember struct {
	moderator bool
	micOff    bool // their own microphone switch
	modMuted  bool // a moderator muted them: not mixed
	hand      bool
	talkSince time.Time // when their current talk run began; zero: silent
	screen    *UpTrack  // their shared screen; nil: not sharing
	removed   bool
	chatBurst chatBucket
}

func (p MeetingPolicy) withDefaults() MeetingPolicy {
	if p.Share == "" {
		p.Share = WhoEveryone
	}
	if p.Record == "" {
		p.Record = WhoModerators
	}
	if p.MaxShares <= 0 {
		p.MaxShares = 1
	}
	if p.ChatHistory <= 0 {
		p.ChatHistory = 100
	}
	if p.ChatMaxChars <= 0 {
		p.ChatMaxChars = 1000
	}
	return p
}

// mayModerate reports whether leg's party moderates this room: a browser
// session of one of its moderators or of an administrator. SIP parties
// never do, whatever number they show.
func (c *Conference) mayModerate(leg Leg) bool {
	o := leg.Origin()
	if o.Kind != OriginExtension {
		return false
	}
	if slices.Contains(c.spec.Moderators, o.Name) {
		return true
	}
	return c.cfg.Meeting.IsAdmin != nil && c.cfg.Meeting.IsAdmin(o.Name)
}

// allowed reports whether m may use a feature open to who.
func allowed(who Who, m *confMember) bool {
	switch who {
	case WhoEveryone:
		return true
	case WhoModerators:
		return m.meet.moderator
	}
	return false
}

func (c *Conference) stateFor(m *confMember) MeetingState {
	p := c.cfg.Meeting
	return MeetingState{
		Locked: c.meeting.locked, Recording: c.meeting.rec != nil, Moderator: m.meet.moderator,
		MayShare:  allowed(p.Share, m) && c.spec.Video != VideoNone && len(videoDowns(m.leg)) > 0,
		MayRecord: allowed(p.Record, m) && c.cfg.Recording.Dir != "", SelfUnmute: p.SelfUnmute,
	}
}

// sendState tells m's UI how the room looks from there.
func (c *Conference) sendState(m *confMember) {
	if mo, ok := m.obs.(MeetingObserver); ok {
		mo.MeetingState(m.callID, c.stateFor(m))
	}
}

func (c *Conference) broadcastState() {
	for _, m := range c.members {
		c.sendState(m)
	}
}

// notify tells every member but skip (nil: everyone) about n.
func (c *Conference) notify(n Notice, skip *confMember) {
	for _, m := range c.members {
		if m == skip {
			continue
		}
		if mo, ok := m.obs.(MeetingObserver); ok {
			mo.Notice(m.callID, n)
		}
	}
}

// noticeAbout fills in who n is about and who did it.
func noticeAbout(kind NoticeKind, m, by *confMember) Notice {
	n := Notice{Kind: kind}
	if m != nil {
		id := m.leg.Identity()
		n.Member, n.Number, n.Name = m.leg.ID(), id.Number, id.Name
	}
	if by != nil {
		id := by.leg.Identity()
		n.By, n.ByName = id.Number, id.Name
	}
	return n
}

// memberOf finds leg's member; nil when it is not in the room.
func (c *Conference) memberOf(leg Leg) *confMember {
	for _, m := range c.members {
		if m.leg == leg {
			return m
		}
	}
	return nil
}

// request runs f on the conference goroutine for leg's member and returns
// its error; ErrNotInCall when leg is not in the room.
func (c *Conference) request(ctx context.Context, leg Leg, f func(m *confMember) error) error {
	var err error
	if doErr := c.do(ctx, func() {
		m := c.memberOf(leg)
		if m == nil {
			err = ErrNotInCall
			return
		}
		err = f(m)
	}); doErr != nil {
		return doErr
	}
	return err
}

// RaiseHand raises (on) or lowers leg's hand.
func (c *Conference) RaiseHand(ctx context.Context, leg Leg, on bool) error {
	return c.request(ctx, leg, func(m *confMember) error {
		if m.meet.hand != on {
			m.meet.hand = on
			c.broadcastRoster()
		}
		return nil
	})
}

// SetMicOff records leg's own microphone switch, for the mute icon others
// see. Switching it on again also lifts a moderator's mute when the
// policy lets participants unmute themselves, and is refused otherwise.
func (c *Conference) SetMicOff(ctx context.Context, leg Leg, off bool) error {
	return c.request(ctx, leg, func(m *confMember) error {
		if !off && m.meet.modMuted {
			if !c.cfg.Meeting.SelfUnmute {
				return ErrNotAllowed
			}
			c.setModMuted(m, false)
		}
		if m.meet.micOff != off {
			m.meet.micOff = off
			c.broadcastRoster()
		}
		return nil
	})
}

// setModMuted mutes or unmutes m in the mix.
func (c *Conference) setModMuted(m *confMember, on bool) {
	m.meet.modMuted = on
	m.part.SetMuted(on)
	c.broadcastRoster()
}

// lowerHands lowers the hands of those who have spoken long enough; it
// runs once a second on the conference goroutine.
func (c *Conference) lowerHands(now time.Time) {
	after := c.cfg.Meeting.HandLowerAfter
	if after <= 0 {
		return
	}
	changed := false
	for _, m := range c.members {
		if m.meet.hand && !m.meet.talkSince.IsZero() && now.Sub(m.meet.talkSince) >= after {
			m.meet.hand = false
			changed = true
			c.log.Info("hand lowered after speaking", "leg", m.leg.ID(), "ext", m.leg.Identity().Number)
		}
	}
	if changed {
		c.broadcastRoster()
	}
}

// noteTalkers starts and ends members' talk runs from the detector's
// list of who speaks.
func (c *Conference) noteTalkers(speaking []string, now time.Time) {
	c.speaking = speaking
	for _, m := range c.members {
		talking := slices.Contains(speaking, m.leg.ID())
		switch {
		case talking && m.meet.talkSince.IsZero():
			m.meet.talkSince = now
		case !talking:
			m.meet.talkSince = time.Time{}
		}
	}
}
