package web

import (
	"context"
	"encoding/json"
	"errors"

	"xphone/cluster"
)

// errNotHost answers an edge that links to a node not hosting the room
// (anymore): it claims again.
var errNotHost = errors.New("web: not hosting this room")

// handle registers the bus methods of rooms across nodes.
func (c *RoomCascade) handle() {
	c.cl.Handle(mRoomLink, c.onLink)
	c.cl.Handle(mRoomUpdate, c.onUpdate)
	c.cl.Handle(mRoomLeave, c.onLeave)
	c.cl.Handle(mRoomRoster, c.onRoster)
	c.cl.Handle(mRoomSpeakers, c.onSpeakers)
	c.cl.Handle(mRoomRehost, c.onRehost)
	c.cl.Handle(mRoomPLI, c.onPLI)
	c.cl.Handle(mRoomModerate, c.onModerate)
	c.cl.Handle(mRoomChat, c.onChat)
}

// hosted is room's state if this node hosts it.
func (c *RoomCascade) hosted(ctx context.Context, room string) *xroom {
	c.mu.Lock()
	x := c.parts[room]
	var host string
	if x != nil {
		host = x.host
	}
	c.mu.Unlock()
	if x == nil {
		return nil
	}
	if host == "" { // our claim won a moment ago; sync has not noted it yet
		if h, err := c.cl.RoomHost(ctx, room); err == nil && h == c.cl.Self() {
			c.mu.Lock()
			x.host = h
			c.mu.Unlock()
			host = h
			c.hostingChanged(room)
		}
	}
	if host != c.cl.Self() {
		return nil
	}
	return x
}

// onLink: an edge joins the room's cascade (host side).
func (c *RoomCascade) onLink(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xLink
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	x := c.hosted(ctx, m.Room)
	if x == nil {
		return nil, errNotHost
	}
	addr, err := c.accept(from, m.Addr, m.Key)
	if err != nil {
		return nil, err
	}
	x.r.Link(from, addr, c.key)
	roster := c.edgeChanged(ctx, x, from, m)
	key := c.key
	roster.Addr, roster.Key = c.cas.Addr().String(), &key
	return json.Marshal(roster)
}

// onUpdate: an edge's members changed (host side).
func (c *RoomCascade) onUpdate(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xLink
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	x := c.hosted(ctx, m.Room)
	c.mu.Lock()
	known := x != nil && x.edges[from] != nil
	c.mu.Unlock()
	if !known {
		return nil, errNotHost // links again
	}
	return json.Marshal(c.edgeChanged(ctx, x, from, m))
}

// edgeChanged records edge from's members, updates the stand-ins here
// and has the other edges told; it returns from's roster.
func (c *RoomCascade) edgeChanged(ctx context.Context, x *xroom, from string, m xLink) xRoster {
	c.mu.Lock()
	old := x.edges[from]
	x.edges[from] = &xedge{members: m.Members}
	c.mu.Unlock()
	x.op.Lock()
	x.r.SetRemote(ctx, c.edgeMembers(x, ""))
	x.r.Reconcile(ctx)
	x.op.Unlock()
	if old == nil || !sameMembers(old.members, m.Members) {
		c.enqueue(func(ctx context.Context) { c.pushRosters(ctx, x, from) })
	}
	return c.rosterFor(ctx, x, from)
}

func sameMembers(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// onLeave: an edge has no member left (host side).
func (c *RoomCascade) onLeave(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xLink
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if x := c.hosted(ctx, m.Room); x != nil {
		c.dropEdge(ctx, x, from)
	}
	return nil, nil
}

// dropEdge forgets an edge that left or died, here and on the others.
func (c *RoomCascade) dropEdge(ctx context.Context, x *xroom, node string) {
	c.mu.Lock()
	_, was := x.edges[node]
	delete(x.edges, node)
	c.mu.Unlock()
	if !was {
		return
	}
	x.r.Unlink(node)
	x.op.Lock()
	x.r.SetRemote(ctx, c.edgeMembers(x, ""))
	x.r.Reconcile(ctx)
	x.op.Unlock()
	c.enqueue(func(ctx context.Context) { c.pushRosters(ctx, x, "") })
}

// edgeOf is room's state if this node is an edge linked to from.
func (c *RoomCascade) edgeOf(room, from string) *xroom {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.parts[room]; x != nil && x.host == from && x.linked {
		return x
	}
	return nil
}

// onRoster: the host's view of the other nodes' members (edge side).
func (c *RoomCascade) onRoster(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xRoster
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if x := c.edgeOf(m.Room, from); x != nil {
		c.applyRoster(ctx, x, m)
	}
	return nil, nil
}

// onSpeakers: the host's speaker frame (edge side).
func (c *RoomCascade) onSpeakers(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xRoster
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if x := c.edgeOf(m.Room, from); x != nil {
		x.r.SetSpeakers(ctx, m.Dominant, m.Speaking)
	}
	return nil, nil
}

// onRehost: the host stops hosting (edge side): claim again.
func (c *RoomCascade) onRehost(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xLink
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if x := c.edgeOf(m.Room, from); x != nil {
		c.resetEdge(x, from)
		c.changed(m.Room)
	}
	return nil, nil
}

// onPLI: a remote viewer needs a keyframe of a video this node sends.
func (c *RoomCascade) onPLI(ctx context.Context, _ string, body []byte) ([]byte, error) {
	var m xPLI
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	c.keyframes.Add(1)
	c.mu.Lock()
	x := c.parts[m.Room]
	c.mu.Unlock()
	if x != nil {
		x.r.RequestKeyframe(ctx, m.SSRC)
	}
	return nil, nil
}

// nodeEvent: a dead node's edges are dropped; the rooms it hosted are
// claimed again by their edges.
func (c *RoomCascade) nodeEvent(ev cluster.NodeEvent) {
	if ev.Alive {
		return
	}
	node := ev.Node.ID
	c.mu.Lock()
	if ap, ok := c.addrs[node]; ok {
		delete(c.addrs, node)
		c.cas.Refuse(ap)
	}
	c.mu.Unlock()
	for _, x := range c.snapshot() {
		c.mu.Lock()
		host := x.host
		c.mu.Unlock()
		switch {
		case host == node:
			c.resetEdge(x, node)
			c.changed(x.number)
		case host == c.cl.Self():
			x := x
			c.enqueue(func(ctx context.Context) { c.dropEdge(ctx, x, node) })
		}
	}
}
