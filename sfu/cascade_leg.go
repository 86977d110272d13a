package sfu

import (
	"context"
	"sync"
)

// CascadeTrack is one published track of a member as it crosses nodes.
type CascadeTrack struct {
	SSRC uint32 `json:"ssrc"`
	Kind Kind   `json:"kind"`
	Mime string `json:"mime"`
}

// CascadeMember is a room member as other nodes learn of it: who, on
// which node, and the tracks that node sends (audio, top video layer).
type CascadeMember struct {
	ID     string         `json:"id"`
	Number string         `json:"number"`
	Name   string         `json:"name,omitempty"`
	Node   string         `json:"node"`
	Tracks []CascadeTrack `json:"tracks,omitempty"`
	// The member's meeting state on its own node, which its stand-ins
	// show everywhere else.
	MicOff    bool `json:"mic_off,omitempty"`
	ModMuted  bool `json:"mod_muted,omitempty"`
	Hand      bool `json:"hand,omitempty"`
	Moderator bool `json:"moderator,omitempty"`
	// Joined is when (Unix ms, its node's clock) the member joined the
	// room, so every node lists the room in one join order.
	Joined int64 `json:"joined,omitempty"`
}

// cascadeLeg stands in the local conference for a member of another
// node: its tracks are fed by the Cascade's read loop, it hears nothing
// (no down tracks), and it ends when the member leaves the room.
type cascadeLeg struct {
	m   CascadeMember
	ups []*UpTrack
	// mod carries a moderator's action on the member to its node (set
	// before the stand-in joins, then only read).
	mod  func(CascadeMod)
	done chan struct{}
	once sync.Once
}

func newCascadeLeg(m CascadeMember, keyframe func(node string, ssrc uint32)) *cascadeLeg {
	l := &cascadeLeg{m: m, done: make(chan struct{})}
	for _, t := range m.Tracks {
		up := NewUpTrack(m.ID+"-cascade-"+t.Kind.String(), t.Kind, t.Mime)
		if t.Kind == Audio {
			up.SetAudioLevelExtension(cascadeLevelExt)
		} else if keyframe != nil {
			node, ssrc := m.Node, t.SSRC
			up.SetKeyframeFunc(func() { keyframe(node, ssrc) })
		}
		l.ups = append(l.ups, up)
	}
	return l
}

func (l *cascadeLeg) ID() string            { return l.m.ID }
func (l *cascadeLeg) Identity() Identity    { return Identity{Number: l.m.Number, Name: l.m.Name} }
func (l *cascadeLeg) Origin() Origin        { return Origin{} } // may call nowhere, moderates nothing here
func (l *cascadeLeg) Ups() []*UpTrack       { return l.ups }
func (l *cascadeLeg) Downs() []*DownTrack   { return nil }
func (l *cascadeLeg) Done() <-chan struct{} { return l.done }
func (l *cascadeLeg) EndReason() Reason     { return ReasonHangup }
func (l *cascadeLeg) SendDTMF(rune)         {}

// Hangup ends the stand-in; the member's own node ends the real leg.
func (l *cascadeLeg) Hangup(context.Context, Reason) error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// isStandIn reports whether leg stands in for another node's member.
func isStandIn(leg Leg) bool {
	_, ok := leg.(*cascadeLeg)
	return ok
}

// silentObserver is the observer of a stand-in: its UI is on its node.
// changed, if set, hears every change of the room's roster or meeting
// state, which the cascade then tells the other nodes; it must not block.
type silentObserver struct {
	changed func()
	chat    func(ChatMessage) // hears the room's new chat messages
}

// Roster tells the cascade the members' state may have changed.
func (o silentObserver) Roster(string, []Member) {
	if o.changed != nil {
		o.changed()
	}
}

// MeetingState tells the cascade the room's lock may have changed.
func (o silentObserver) MeetingState(string, MeetingState) {
	if o.changed != nil {
		o.changed()
	}
}

// Chat hands the room's new messages to the cascade (not the history a
// joining stand-in is given: those were sent when they were new).
func (o silentObserver) Chat(_ string, msgs []ChatMessage, history bool) {
	if o.chat == nil || history {
		return
	}
	for _, m := range msgs {
		o.chat(m)
	}
}

func (silentObserver) Notice(string, Notice) {}

func (silentObserver) Joined(string, RoomSpec, string)   {}
func (silentObserver) Speakers(string, string, []string) {}
func (silentObserver) VideoSlots(string, []Slot)         {}
