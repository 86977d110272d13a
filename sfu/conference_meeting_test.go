package sfu

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var bg = context.Background()

// Chat reaches everyone in the room with who wrote it, verbatim (markup is
// plain text; clients show it as text), cleaned of control characters; a
// late joiner gets the bounded history; empty, oversized and flooding
// messages are refused.
func TestChatReachesEveryoneAndLateJoinersGetTheHistory(t *testing.T) {
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{ChatHistory: 3, ChatMaxChars: 20}, RecordingConfig{})
	a, b, c := newMemLeg("1001"), newMemLeg("1002"), newMemLeg("1003")
	conf, oa := joinMem(t, rooms, a)
	_, ob := joinMem(t, rooms, b)
	_, oc := joinMem(t, rooms, c)
	texts := []string{"hello", "<b>x</b>\x07 &amp;", "  three\r\n  ", "four"}
	for i, text := range texts {
		if err := conf.SendChat(bg, []*memLeg{a, b, c, a}[i], text); err != nil {
			t.Fatalf("chat %q: %v", text, err)
		}
	}
	for _, o := range []*meetObserver{oa, ob, oc} {
		got := o.getChat()
		if len(got) != 4 || got[0].Number != "1001" || got[0].Name != "N1001" || got[1].Text != "<b>x</b> &amp;" ||
			got[2].Text != "three" || got[2].From != c.ID() || got[3].ID <= got[2].ID {
			t.Fatalf("chat seen: %+v", got)
		}
	}
	_, od := joinMem(t, rooms, newMemLeg("1004"))
	if h := od.history; len(h) != 3 || h[0].Text != "<b>x</b> &amp;" || h[2].Text != "four" {
		t.Fatalf("late joiner's history: %+v", h)
	}
	for _, bad := range []string{"", " \n\t ", strings.Repeat("é", 21), "\x00\x01"} {
		if err := conf.SendChat(bg, b, bad); !errors.Is(err, ErrBadChat) {
			t.Errorf("chat %q: %v, want ErrBadChat", bad, err)
		}
	}
	if err := conf.SendChat(bg, b, strings.Repeat("é", 20)); err != nil {
		t.Fatalf("20 characters: %v", err)
	}
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = conf.SendChat(bg, c, "flood")
	}
	if !errors.Is(err, ErrChatRate) {
		t.Fatalf("ten messages at once: %v, want ErrChatRate", err)
	}
	if err := conf.SendChat(bg, newMemLeg("1005"), "not in the room"); !errors.Is(err, ErrNotInCall) {
		t.Fatalf("chat from outside: %v", err)
	}
}

// Only moderators moderate: the room's moderators and admins in their
// browsers; a participant, or a SIP caller showing a moderator's number,
// is refused and nothing happens.
func TestModerationIsRefusedToNonModerators(t *testing.T) {
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{}, RecordingConfig{})
	mod, admin, plain, sip := newMemLeg("1001"), newMemLeg("1009"), newMemLeg("1002"), sipMemLeg("1001")
	conf, om := joinMem(t, rooms, mod)
	_, oa := joinMem(t, rooms, admin)
	_, op := joinMem(t, rooms, plain)
	joinMem(t, rooms, sip)
	if !om.getState().Moderator || !oa.getState().Moderator || op.getState().Moderator {
		t.Fatalf("moderator flags: 1001 %v, admin %v, 1002 %v", om.getState().Moderator, oa.getState().Moderator, op.getState().Moderator)
	}
	if m, _ := op.member("1001"); !m.Moderator {
		t.Fatal("the roster does not mark the moderator")
	}
	for _, by := range []*memLeg{plain, sip} {
		for _, act := range []ModAction{ModMute, ModRemove, ModLock, ModLowerHand} {
			if err := conf.Moderate(bg, by, act, mod.ID(), true); !errors.Is(err, ErrNotModerator) {
				t.Fatalf("%s (%s) %s: %v, want ErrNotModerator", by.ident.Number, by.origin, act, err)
			}
		}
	}
	if m, _ := op.member("1001"); m.ModMuted || op.getState().Locked || len(om.getNotices()) != 3 {
		t.Fatalf("a refused action changed the room: %+v, %d notices", m, len(om.getNotices()))
	}
	if err := conf.Moderate(bg, admin, ModMute, sip.ID(), true); err != nil {
		t.Fatalf("an admin mutes: %v", err)
	}
	if m, _ := op.member(sip.ID()); !m.ModMuted || m.Moderator || !op.hasNotice(NoticeMuted, "1001") {
		t.Fatalf("the SIP caller is not shown muted: %+v", m)
	}
	if err := conf.Moderate(bg, mod, ModMute, "leg-nobody", true); !errors.Is(err, ErrNoMember) {
		t.Fatalf("muting nobody: %v", err)
	}
	if err := conf.Moderate(bg, mod, "explode", plain.ID(), true); !errors.Is(err, ErrBadAction) {
		t.Fatalf("an unknown action: %v", err)
	}
}

// Muted by a moderator, a participant is shown muted; unmuting themselves
// lifts it when the policy allows, and is refused when it does not (then
// only a moderator can).
func TestMutedByModeratorAndUnmuting(t *testing.T) {
	for _, self := range []bool{true, false} {
		rooms := meetingRooms(t, VideoNone, MeetingPolicy{SelfUnmute: self}, RecordingConfig{})
		mod, p := newMemLeg("1001"), newMemLeg("1002")
		conf, om := joinMem(t, rooms, mod)
		_, op := joinMem(t, rooms, p)
		if err := conf.Moderate(bg, mod, ModMute, p.ID(), true); err != nil {
			t.Fatal(err)
		}
		if m, _ := om.member("1002"); !m.Muted || !m.ModMuted || !op.hasNotice(NoticeMuted, "1002") {
			t.Fatalf("muted: %+v", m)
		}
		err := conf.SetMicOff(bg, p, false)
		if m, _ := om.member("1002"); self && (err != nil || m.ModMuted || m.Muted) || !self && (!errors.Is(err, ErrNotAllowed) || !m.ModMuted) {
			t.Fatalf("self-unmute allowed %v: %v, %+v", self, err, m)
		}
		if !self {
			if err := conf.Moderate(bg, mod, ModMute, p.ID(), false); err != nil {
				t.Fatal(err)
			}
			if m, _ := om.member("1002"); m.ModMuted || !op.hasNotice(NoticeUnmuted, "1002") {
				t.Fatalf("after the moderator's unmute: %+v", m)
			}
		}
		if err := conf.SetMicOff(bg, p, true); err != nil {
			t.Fatal(err)
		}
		if m, _ := om.member("1002"); !m.Muted || m.ModMuted {
			t.Fatalf("their own mute: %+v", m)
		}
	}
}

// A locked room turns new joiners away (moderators still get in); a
// removed participant's call ends with that reason and everyone is told,
// once.
func TestLockAndRemove(t *testing.T) {
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{}, RecordingConfig{})
	mod, p := newMemLeg("1001"), newMemLeg("1002")
	conf, om := joinMem(t, rooms, mod)
	_, op := joinMem(t, rooms, p)
	if !om.hasNotice(NoticeJoined, "1002") || op.hasNotice(NoticeJoined, "1002") {
		t.Fatal("the joined notice went to the wrong people")
	}
	if err := conf.Moderate(bg, mod, ModLock, "", true); err != nil {
		t.Fatal(err)
	}
	if !op.getState().Locked || !op.hasNotice(NoticeLocked, "") {
		t.Fatal("the room is not shown locked")
	}
	late := newMemLeg("1003")
	if _, err := rooms.Join(bg, "800", "", "late", late, &meetObserver{}); !errors.Is(err, ErrRoomLocked) {
		t.Fatalf("join a locked room: %v", err)
	}
	joinMem(t, rooms, newMemLeg("1009")) // an admin gets in
	if err := conf.Moderate(bg, mod, ModRemove, p.ID(), true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(time.Second):
		t.Fatal("the removed participant's leg is still up")
	}
	if p.EndReason() != ReasonRemoved {
		t.Fatalf("ended with %q", p.EndReason())
	}
	rooms.Leave(conf, p)
	if !om.hasNotice(NoticeRemoved, "1002") || om.hasNotice(NoticeLeft, "1002") {
		t.Fatalf("notices: %+v", om.getNotices())
	}
	if err := conf.Moderate(bg, mod, ModLock, "", false); err != nil {
		t.Fatal(err)
	}
	joinMem(t, rooms, late)
	rooms.Leave(conf, late)
	if !om.hasNotice(NoticeLeft, "1003") {
		t.Fatal("no left notice")
	}
}

// A raised hand shows in everyone's roster; it goes down by itself after
// its owner has spoken for the policy's time, or when a moderator lowers it.
func TestHandsGoUpAndComeDown(t *testing.T) {
	rooms := meetingRooms(t, VideoNone, MeetingPolicy{HandLowerAfter: 3 * time.Second}, RecordingConfig{})
	mod, p := newMemLeg("1001"), newMemLeg("1002")
	conf, om := joinMem(t, rooms, mod)
	joinMem(t, rooms, p)
	if err := conf.RaiseHand(bg, p, true); err != nil {
		t.Fatal(err)
	}
	if m, _ := om.member("1002"); !m.Hand {
		t.Fatal("the hand is not shown")
	}
	t0 := time.Now()
	step := func(speaking []string, at time.Duration) {
		_ = conf.do(bg, func() {
			conf.noteTalkers(speaking, t0.Add(at))
			conf.lowerHands(t0.Add(at))
		})
	}
	step([]string{p.ID()}, 0)
	step(nil, time.Second) // a pause ends the run
	step([]string{p.ID()}, 2*time.Second)
	step([]string{p.ID()}, 4*time.Second)
	if m, _ := om.member("1002"); !m.Hand {
		t.Fatal("lowered before three seconds of one talk run")
	}
	step([]string{p.ID()}, 5*time.Second)
	if m, _ := om.member("1002"); m.Hand {
		t.Fatal("still up after three seconds of speaking")
	}
	_ = conf.RaiseHand(bg, p, true)
	if err := conf.Moderate(bg, mod, ModLowerHand, p.ID(), true); err != nil {
		t.Fatal(err)
	}
	if m, _ := om.member("1002"); m.Hand {
		t.Fatal("a moderator cannot lower it")
	}
}
