package web

import (
	"context"
	"errors"
	"time"

	"xphone/sfu"
)

// Meeting messages (docs/signaling.md, "Meetings"): chat, hands, mute
// state, screen sharing, moderation and recording.

type meetingMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	sfu.MeetingState
}

type chatMsg struct {
	Type     string            `json:"type"`
	Call     string            `json:"call"`
	Messages []sfu.ChatMessage `json:"messages"`
	History  bool              `json:"history,omitempty"`
}

type noticeMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	sfu.Notice
}

type peerScreenMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	On   bool   `json:"on"`
}

// maxChatReplay bounds the chat a tab keeps per call to replay on resume.
const maxChatReplay = 1000

// meetingTimeout bounds one meeting request on the conference goroutine.
const meetingTimeout = 5 * time.Second

// MeetingState implements sfu.MeetingObserver.
func (t *tab) MeetingState(callID string, st sfu.MeetingState) {
	t.sendCall(callID, "meeting", encode(meetingMsg{Type: "meeting", Call: callID, MeetingState: st}))
}

// Chat implements sfu.MeetingObserver; the tab keeps the room's chat so a
// resumed socket gets it again.
func (t *tab) Chat(callID string, msgs []sfu.ChatMessage, history bool) {
	t.mu.Lock()
	if tc := t.calls[callID]; tc != nil {
		if history {
			tc.chat = nil
		}
		tc.chat = append(tc.chat, msgs...)
		if over := len(tc.chat) - maxChatReplay; over > 0 {
			tc.chat = tc.chat[over:]
		}
	}
	t.mu.Unlock()
	if msgs == nil {
		msgs = []sfu.ChatMessage{}
	}
	t.send(encode(chatMsg{Type: "chat", Call: callID, Messages: msgs, History: history}))
}

// Notice implements sfu.MeetingObserver.
func (t *tab) Notice(callID string, n sfu.Notice) {
	t.send(encode(noticeMsg{Type: "notice", Call: callID, Notice: n}))
}

// PeerScreen implements sfu.ScreenObserver (1:1 calls).
func (t *tab) PeerScreen(callID string, on bool) {
	t.sendCall(callID, "peer-screen", encode(peerScreenMsg{Type: "peer-screen", Call: callID, On: on}))
}

// meetingCall finds the tab's call m names and, if it is in a room, the
// room; it answers the errors itself and reports false then.
func (t *tab) meetingCall(m inMsg) (*tabCall, *sfu.Conference, bool) {
	t.mu.Lock()
	tc := t.calls[m.Call]
	t.mu.Unlock()
	if tc == nil {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return nil, nil, false
	}
	return tc, t.srv.calls.Conference(tc.leg), true
}

// inRoom runs f with the call's room, refusing calls that are not in one.
func (t *tab) inRoom(m inMsg, f func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error) {
	tc, conf, ok := t.meetingCall(m)
	if !ok {
		return
	}
	if conf == nil {
		t.sendMeetingError(m.Req, codeNotAllowed, meetingNotAllowed, sfu.ErrNotAllowed)
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, meetingTimeout)
	defer cancel()
	t.meetingReply(m, f(ctx, conf, tc.leg))
}

// meetingReply answers a meeting request's error, if any, with a reason
// code the UI translates (meeting.error.CODE).
func (t *tab) meetingReply(m inMsg, err error) {
	switch {
	case err == nil:
	case errors.Is(err, sfu.ErrNotModerator):
		t.log.Warn("meeting request refused", "type", m.Type, "action", m.Action, "err", err)
		t.sendMeetingError(m.Req, codeNotAllowed, meetingNotModerator, err)
	case errors.Is(err, sfu.ErrShareLimit):
		t.sendMeetingError(m.Req, codeNotAllowed, meetingShareLimit, err)
	case errors.Is(err, sfu.ErrNotAllowed), errors.Is(err, sfu.ErrNoVideo):
		t.sendMeetingError(m.Req, codeNotAllowed, meetingNotAllowed, err)
	case errors.Is(err, sfu.ErrNotInCall):
		t.sendError(m.Req, codeUnknownCall, "no such call")
	case errors.Is(err, sfu.ErrChatRate):
		t.sendMeetingError(m.Req, codeBadRequest, meetingChatRate, err)
	case errors.Is(err, sfu.ErrBadChat):
		t.sendMeetingError(m.Req, codeBadRequest, meetingBadChat, err)
	default:
		t.sendMeetingError(m.Req, codeBadRequest, meetingFailed, err)
	}
}

// Reasons of a refused meeting request (errorMsg.Reason).
const (
	meetingNotModerator = "not_moderator"
	meetingShareLimit   = "share_limit"
	meetingNotAllowed   = "not_allowed_here"
	meetingChatRate     = "chat_rate"
	meetingBadChat      = "bad_chat"
	meetingFailed       = "failed"
)

// meetingErrors lists the reasons, for the catalogue test.
var meetingErrors = []string{meetingNotModerator, meetingShareLimit, meetingNotAllowed, meetingChatRate, meetingBadChat, meetingFailed}

func (t *tab) sendMeetingError(req, code, reason string, err error) {
	t.send(encode(errorMsg{Type: "error", Req: req, Code: code, Reason: reason, Message: err.Error()}))
}

func (t *tab) chat(m inMsg) {
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.SendChat(ctx, leg, m.Text)
	})
}

func (t *tab) hand(m inMsg) {
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.RaiseHand(ctx, leg, m.On)
	})
}

// mute records the tab's microphone switch (on: muted) in its room.
func (t *tab) mute(m inMsg) {
	if _, conf, ok := t.meetingCall(m); ok && conf == nil {
		return // a 1:1 call: nobody shows it
	}
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.SetMicOff(ctx, leg, m.On)
	})
}

func (t *tab) moderate(m inMsg) {
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.Moderate(ctx, leg, sfu.ModAction(m.Action), m.Member, m.On)
	})
}

func (t *tab) record(m inMsg) {
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.Record(ctx, leg, m.On)
	})
}

// screen starts or stops the tab's screen share: in a room the server
// receives it on a video of its own; in a 1:1 call the browser sends it
// instead of its camera and the other party is told.
func (t *tab) screen(m inMsg) {
	tc, conf, ok := t.meetingCall(m)
	if !ok {
		return
	}
	if conf == nil {
		t.meetingReply(m, t.srv.calls.ShareScreen(m.Call, tc.leg, m.On))
		return
	}
	t.inRoom(m, func(ctx context.Context, conf *sfu.Conference, leg sfu.Leg) error {
		return conf.ShareScreen(ctx, leg, m.On)
	})
}
