package web

import (
	"context"
	"encoding/json"

	"xphone/sfu"
)

// Moderation across nodes: a moderator's action on a member of another
// node goes to that node (xroom.moderate), which enforces it and tells
// the member's tab; its new state comes back to every node with its
// member list. A lock goes to the host, whose rosters carry it to every
// edge.

// moderateFor carries room number's moderator actions to the node that
// enforces them; it never blocks (the conference goroutine calls it).
func (c *RoomCascade) moderateFor(number string) func(sfu.CascadeMod) {
	return func(req sfu.CascadeMod) {
		req.Room = number
		c.enqueue(func(ctx context.Context) {
			node := req.Node
			if req.Action == sfu.ModLock {
				c.mu.Lock()
				if x := c.parts[number]; x != nil {
					node = x.host
				}
				c.mu.Unlock()
			}
			if node == "" || node == c.cl.Self() {
				return // hosting: our rosters carry the lock
			}
			if err := c.call(ctx, node, mRoomModerate, req, nil); err != nil {
				c.log.Warn("cascade: moderator action not carried out", "room", number, "node", node, "action", string(req.Action), "err", err)
			}
		})
	}
}

// onModerate: a moderator on another node acts on a member here, or
// locks the room we host.
func (c *RoomCascade) onModerate(ctx context.Context, _ string, body []byte) ([]byte, error) {
	var req sfu.CascadeMod
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	c.mu.Lock()
	x := c.parts[req.Room]
	c.mu.Unlock()
	if x == nil {
		return nil, sfu.ErrNoMember
	}
	return nil, x.r.Moderate(ctx, req)
}
