package web

import (
	"context"
	"errors"

	"xphone/sfu"
)

var errBadCascade = errors.New("web: bad cascade link")

// syncEdge links to the host, or tells it our members, and applies the
// roster it answers with.
func (c *RoomCascade) syncEdge(ctx context.Context, x *xroom, host string, local []sfu.CascadeMember) {
	x.r.SetRole(ctx, false, nil)
	c.mu.Lock()
	linked := x.linked
	c.mu.Unlock()
	var roster xRoster
	if !linked {
		key := c.key
		err := c.call(ctx, host, mRoomLink, xLink{Room: x.number, Addr: c.cas.Addr().String(), Key: &key, Members: local}, &roster)
		if err != nil {
			c.log.Info("cascade: link to host failed", "room", x.number, "host", host, "err", err)
			c.resetEdge(x, host)
			return
		}
		addr, err := c.accept(host, roster.Addr, roster.Key)
		if err != nil {
			c.resetEdge(x, host)
			return
		}
		x.r.Link(host, addr, c.key)
		c.mu.Lock()
		x.linked = true
		c.mu.Unlock()
	} else if err := c.call(ctx, host, mRoomUpdate, xLink{Room: x.number, Members: local}, &roster); err != nil {
		c.log.Info("cascade: update to host failed", "room", x.number, "host", host, "err", err)
		c.resetEdge(x, host)
		return
	}
	c.applyRoster(ctx, x, roster)
}

// applyRoster makes the host's view of the others this node's.
func (c *RoomCascade) applyRoster(ctx context.Context, x *xroom, roster xRoster) {
	c.mu.Lock()
	first := !x.heard
	x.heard = true
	c.mu.Unlock()
	x.op.Lock()
	defer x.op.Unlock()
	x.r.SetRemote(ctx, roster.Members)
	x.r.Reconcile(ctx)
	x.r.SetSpeakers(ctx, roster.Dominant, roster.Speaking)
	x.r.SetLocked(ctx, roster.Locked, first)
}

// resetEdge forgets host (dead, gone or no longer hosting): the next
// sync claims the room again, and links to whoever wins.
func (c *RoomCascade) resetEdge(x *xroom, host string) {
	x.r.Unlink(host)
	c.mu.Lock()
	if x.host == host {
		x.host, x.linked = "", false
	}
	c.mu.Unlock()
}

// teardown leaves the room's cascade after its last local member.
func (c *RoomCascade) teardown(ctx context.Context, x *xroom) {
	c.mu.Lock()
	if c.parts[x.number] == x {
		delete(c.parts, x.number)
	}
	host, linked := x.host, x.linked
	c.mu.Unlock()
	switch {
	case host == c.cl.Self():
		// Released first: the edges told to claim again must not find us.
		if err := c.cl.ReleaseRoom(ctx, x.number); err != nil {
			c.log.Debug("cascade: release", "room", x.number, "err", err)
		}
		for _, node := range c.edgeNodes(x) {
			_ = c.call(ctx, node, mRoomRehost, xLink{Room: x.number}, nil)
		}
	case linked:
		_ = c.call(ctx, host, mRoomLeave, xLink{Room: x.number}, nil)
	}
	x.op.Lock()
	x.r.Close()
	x.op.Unlock()
	if host == c.cl.Self() {
		c.hostingChanged(x.number)
	}
}

// keyframeOf asks for keyframes of room number's remote videos: from the
// host on an edge (it relays them), from the publisher's node on the host.
func (c *RoomCascade) keyframeOf(number string) func(node string, ssrc uint32) {
	return func(node string, ssrc uint32) {
		c.enqueue(func(ctx context.Context) {
			c.mu.Lock()
			x := c.parts[number]
			if x != nil && x.host != c.cl.Self() && x.host != "" {
				node = x.host
			}
			c.mu.Unlock()
			_ = c.call(ctx, node, mRoomPLI, xPLI{Room: number, SSRC: ssrc}, nil)
		})
	}
}
