package web

import (
	"context"
	"encoding/json"

	"xphone/sfu"
)

// Chat across nodes: a message written on an edge goes to the host,
// which shows it to its members and relays it to the other edges; one
// written on the host goes to every edge. Each node keeps what it saw in
// its room's history, for members joining later.

// xChat is one chat message crossing nodes.
type xChat struct {
	Room string          `json:"room"`
	Msg  sfu.ChatMessage `json:"msg"`
}

// chatFor carries room number's chat messages written here to the other
// nodes; it never blocks (the conference goroutine calls it).
func (c *RoomCascade) chatFor(number string) func(sfu.ChatMessage) {
	return func(msg sfu.ChatMessage) {
		c.enqueue(func(ctx context.Context) { c.sendChat(ctx, number, msg, "") })
	}
}

// sendChat sends msg to the host, or as the host to every edge but skip
// (worker only).
func (c *RoomCascade) sendChat(ctx context.Context, number string, msg sfu.ChatMessage, skip string) {
	c.mu.Lock()
	x := c.parts[number]
	var host string
	if x != nil {
		host = x.host
	}
	c.mu.Unlock()
	var to []string
	switch {
	case host == c.cl.Self():
		to = c.edgeNodes(x)
	case host != "":
		to = []string{host}
	}
	for _, node := range to {
		if node == skip {
			continue
		}
		if err := c.call(ctx, node, mRoomChat, xChat{Room: number, Msg: msg}, nil); err != nil {
			c.log.Info("cascade: chat message not delivered", "room", number, "node", node, "err", err)
		}
	}
}

// onChat: a message from another node, shown here; the host relays it.
func (c *RoomCascade) onChat(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xChat
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	c.mu.Lock()
	x := c.parts[m.Room]
	c.mu.Unlock()
	if x == nil {
		return nil, sfu.ErrNoMember
	}
	if err := x.r.PostChat(ctx, m.Msg); err != nil {
		return nil, err
	}
	if c.Hosts(m.Room) {
		c.enqueue(func(ctx context.Context) { c.sendChat(ctx, m.Room, m.Msg, from) })
	}
	return nil, nil
}
