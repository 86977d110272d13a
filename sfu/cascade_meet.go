package sfu

import "context"

// showStates makes the stand-ins show their members' meeting state as
// their own nodes report it: muted (a moderator's mute is enforced here
// too: the stand-in is not mixed), raised hand, moderator.
func (r *CascadeRoom) showStates(ctx context.Context, members []CascadeMember) {
	conf := r.live()
	if conf == nil {
		return
	}
	_ = conf.do(ctx, func() {
		changed := false
		for _, cm := range members {
			if cm.Node == r.self {
				continue
			}
			if m := conf.memberByID(cm.ID); m != nil && isStandIn(m.leg) {
				changed = m.showState(cm) || changed
			}
		}
		if changed {
			conf.broadcastRoster()
		}
	})
}

// showState copies a remote member's state onto its stand-in; it
// reports whether anything changed.
func (m *confMember) showState(cm CascadeMember) bool {
	changed := m.meet.micOff != cm.MicOff || m.meet.hand != cm.Hand || m.meet.moderator != cm.Moderator ||
		m.meet.modMuted != cm.ModMuted
	if m.meet.modMuted != cm.ModMuted {
		m.part.SetMuted(cm.ModMuted)
	}
	m.meet.micOff, m.meet.hand, m.meet.moderator, m.meet.modMuted = cm.MicOff, cm.Hand, cm.Moderator, cm.ModMuted
	return changed
}

// Locked reports whether the room is locked on this node.
func (r *CascadeRoom) Locked(ctx context.Context) bool {
	conf := r.live()
	if conf == nil {
		return false
	}
	locked := false
	_ = conf.do(ctx, func() { locked = conf.meeting.locked })
	return locked
}

// SetLocked applies the host's lock on an edge. With refuse (the first
// word from the host after this node joined the room's cascade) a locked
// room sends away this node's members who are no moderators: they joined
// a room already locked elsewhere, so they are refused as they would
// have been on the host.
func (r *CascadeRoom) SetLocked(ctx context.Context, locked, refuse bool) {
	conf := r.live()
	if conf == nil {
		return
	}
	var out []Leg
	_ = conf.do(ctx, func() {
		if conf.meeting.locked != locked {
			conf.meeting.locked = locked
			kind := NoticeUnlocked
			if locked {
				kind = NoticeLocked
			}
			conf.broadcastState()
			conf.notify(noticeAbout(kind, nil, nil), nil)
		}
		if locked && refuse {
			for _, m := range conf.members {
				if !isStandIn(m.leg) && !m.meet.moderator {
					out = append(out, m.leg)
				}
			}
		}
	})
	for _, leg := range out {
		_ = leg.Hangup(context.Background(), ReasonRoomLocked)
	}
}
