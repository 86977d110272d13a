package sfu

import (
	"slices"
	"strings"
	"time"

	"xphone/audiolevel"
	"xphone/sfu/mixer"
)

// joinOnLoop wires a leg into the mix, the speaker detector and video. It
// runs on the conference goroutine.
func (c *Conference) joinOnLoop(callID string, leg Leg, obs ConferenceObserver) error {
	if c.spec.MaxParticipants > 0 && len(c.members) >= c.spec.MaxParticipants {
		return ErrRoomFull
	}
	moderator := c.mayModerate(leg)
	if c.meeting.locked && !moderator && !isStandIn(leg) { // another node admitted a stand-in's member
		return ErrRoomLocked
	}
	m := c.newMember(callID, leg, obs)
	m.joined = c.joinTime(leg)
	m.meet.moderator = moderator
	c.members = append(c.members, m)
	c.mix.Add(m.part)
	if up := m.audioUp(); up != nil {
		up.Subscribe(m.sink)
	}
	obs.Joined(callID, c.spec, leg.ID())
	c.wireVideo()
	c.broadcastRoster()
	obs.Speakers(callID, c.dominant, nil)
	c.sendState(m)
	c.sendHistory(m)
	c.notify(noticeAbout(NoticeJoined, m, nil), m)
	c.log.Info("participant joined", "leg", leg.ID(), "ext", leg.Identity().Number, "members", len(c.members))
	return nil
}

// newMember builds the mixer participant and audio routing of a leg.
func (c *Conference) newMember(callID string, leg Leg, obs ConferenceObserver) *confMember {
	m := &confMember{
		callID: callID, leg: leg, obs: obs, slots: map[*DownTrack]string{},
		personalUp: NewUpTrack("mix-"+leg.ID(), Audio, opusCodec.MimeType),
		audioDown:  firstDown(leg, Audio),
		meter:      audiolevel.NewMeter(c.cfg.Speaker),
	}
	m.personalUp.timeline = c.sharedUp.timeline // the mixer stamps both by frame count
	m.personalUp.batch = c.egress               // only the run goroutine forwards it
	m.part = mixer.NewParticipant(leg.ID(), m.personalUp, m.route(c.sharedUp))
	m.sink = &mixSink{part: m.part, meter: m.meter, now: c.cfg.Now, wake: c.wakeOnTalk}
	if m.audioDown != nil {
		c.sharedUp.Subscribe(m.audioDown)
		m.personalUp.Subscribe(m.audioDown)
		m.audioDown.SetSource(c.sharedUp)
	}
	return m
}

// route switches what the member hears: their own mix-minus while they
// talk, the shared mix otherwise. The mixer calls it before writing.
func (m *confMember) route(shared *UpTrack) func(personal bool) {
	return func(personal bool) {
		if m.audioDown == nil {
			return
		}
		if personal {
			m.audioDown.SetSource(m.personalUp)
		} else {
			m.audioDown.SetSource(shared)
		}
	}
}

func firstDown(leg Leg, kind Kind) *DownTrack {
	for _, d := range leg.Downs() {
		if d.Kind() == kind {
			return d
		}
	}
	return nil
}

// leaveOnLoop unwires a leg; it reports whether the room is now empty.
func (c *Conference) leaveOnLoop(leg Leg) bool {
	i := slices.IndexFunc(c.members, func(m *confMember) bool { return m.leg == leg })
	if i < 0 {
		return len(c.members) == 0
	}
	m := c.members[i]
	c.members = slices.Delete(c.members, i, i+1)
	if up := m.audioUp(); up != nil {
		up.Unsubscribe(m.sink)
	}
	c.mix.Remove(m.part)
	if m.audioDown != nil {
		c.sharedUp.Unsubscribe(m.audioDown)
		m.personalUp.Unsubscribe(m.audioDown)
		m.audioDown.SetSource(nil)
	}
	c.unwireMember(m)
	c.wireVideo()
	c.broadcastRoster()
	if !m.meet.removed {
		c.notify(noticeAbout(NoticeLeft, m, nil), nil)
	}
	c.log.Info("participant left", "leg", leg.ID(), "members", len(c.members))
	return len(c.members) == 0
}

// joinTime is when leg joined the room: for a stand-in, the time its own
// node gave; for a member of this node, now in milliseconds (as other nodes
// learn it), and always after the previous member of this node, so that two
// joins within one millisecond keep their order on every node.
func (c *Conference) joinTime(leg Leg) time.Time {
	if s, ok := leg.(*cascadeLeg); ok && s.m.Joined != 0 {
		return time.UnixMilli(s.m.Joined)
	}
	t := time.UnixMilli(c.cfg.Now().UnixMilli())
	if !t.After(c.lastJoin) {
		t = c.lastJoin.Add(time.Millisecond)
	}
	c.lastJoin = t
	return t
}

// roster lists the members in the order they joined the room. Across
// nodes that is not the order of c.members: a node's own members join its
// conference before the stand-ins of members who joined elsewhere earlier.
func (c *Conference) roster() []Member {
	members := slices.Clone(c.members)
	slices.SortStableFunc(members, func(a, b *confMember) int {
		if d := a.joined.Compare(b.joined); d != 0 {
			return d
		}
		return strings.Compare(a.leg.ID(), b.leg.ID()) // the same on every node
	})
	out := make([]Member, 0, len(members))
	for _, m := range members {
		out = append(out, m.info())
	}
	return out
}

func (c *Conference) broadcastRoster() {
	roster := c.roster()
	for _, m := range c.members {
		m.obs.Roster(m.callID, roster)
	}
}

// decideSpeakers runs the detector and tells everyone about changes.
func (c *Conference) decideSpeakers(now time.Time) {
	if c.follow {
		return // the cascade's host decides for every node
	}
	c.inputs = c.inputs[:0]
	for _, m := range c.members {
		c.inputs = append(c.inputs, audiolevel.Input{ID: m.leg.ID(), Activity: m.meter.Snapshot(now)})
	}
	d := c.detector.Decide(now, c.inputs)
	if !d.Changed {
		return
	}
	c.applySpeakers(now, d.Dominant, d.Speaking)
}

// applySpeakers makes a speaker decision the room's: video follows it
// and every participant is told.
func (c *Conference) applySpeakers(now time.Time, dominant string, speaking []string) {
	c.noteTalkers(speaking, now)
	if dominant != c.dominant {
		c.dominant = dominant
		if c.cfg.Stats != nil {
			c.cfg.Stats.SpeakerSwitches.Add(1)
		}
		if dominant != "" {
			c.history = append(slices.DeleteFunc(c.history, func(id string) bool { return id == dominant }), dominant)
		}
		if c.spec.Video == VideoSpeaker || c.spec.Video == VideoLastN {
			c.wireVideo()
		} else {
			c.recordVideo()
		}
		c.relayer()
	}
	speaking = slices.Clone(speaking)
	for _, m := range c.members {
		m.obs.Speakers(m.callID, c.dominant, speaking)
	}
	if c.onSpeakers != nil {
		c.onSpeakers(c.dominant, speaking)
	}
}
