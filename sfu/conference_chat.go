package sfu

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ChatMessage is one line of a room's chat. Text is plain text: clients
// show it as text, never as markup.
type ChatMessage struct {
	ID     uint64 `json:"id"`   // increasing within the room
	From   string `json:"from"` // member id of the sender
	Number string `json:"number"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	At     int64  `json:"at"` // Unix ms
}

// chatBucket limits how fast one participant may write: chatBurst
// messages at once, then one per chatRefill.
type chatBucket struct {
	tokens float64
	at     time.Time
}

const (
	chatBurst  = 5
	chatRefill = time.Second
)

func (b *chatBucket) take(now time.Time) bool {
	if b.at.IsZero() {
		b.tokens = chatBurst
	} else {
		b.tokens = min(chatBurst, b.tokens+float64(now.Sub(b.at))/float64(chatRefill))
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// cleanChat makes text safe to keep and show as one message: valid UTF-8,
// no control characters but line breaks and tabs, no surrounding space.
// It reports false for an empty result or one longer than maxChars.
func cleanChat(text string, maxChars int) (string, bool) {
	if len(text) > 4*maxChars { // cannot fit, whatever it holds
		return "", false
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, text)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r", ""))
	n := utf8.RuneCountInString(text)
	return text, n > 0 && n <= maxChars
}

// SendChat posts text from leg's participant to everyone in the room and
// keeps it in the room's bounded history for those who join later.
func (c *Conference) SendChat(ctx context.Context, leg Leg, text string) error {
	return c.request(ctx, leg, func(m *confMember) error {
		clean, ok := cleanChat(text, c.cfg.Meeting.ChatMaxChars)
		if !ok {
			return ErrBadChat
		}
		now := c.cfg.Now()
		if !m.meet.chatBurst.take(now) {
			return ErrChatRate
		}
		id := leg.Identity()
		c.postChat(ChatMessage{From: leg.ID(), Number: id.Number, Name: id.Name, Text: clean, At: now.UnixMilli()})
		return nil
	})
}

// postChat numbers msg, keeps it in the history and gives it to every
// member (stand-ins hand it on to the room's other nodes).
func (c *Conference) postChat(msg ChatMessage) {
	c.meeting.chatSeq++
	msg.ID = c.meeting.chatSeq
	c.meeting.chat = append(c.meeting.chat, msg)
	if over := len(c.meeting.chat) - c.cfg.Meeting.ChatHistory; over > 0 {
		c.meeting.chat = append(c.meeting.chat[:0], c.meeting.chat[over:]...)
	}
	one := []ChatMessage{msg}
	for _, o := range c.members {
		if mo, ok := o.obs.(MeetingObserver); ok {
			mo.Chat(o.callID, one, false)
		}
	}
}

// sendHistory gives a new participant the chat so far.
func (c *Conference) sendHistory(m *confMember) {
	if mo, ok := m.obs.(MeetingObserver); ok {
		mo.Chat(m.callID, append([]ChatMessage(nil), c.meeting.chat...), true)
	}
}
