package web

import (
	"context"
	"net/netip"

	"xphone/sfu"
)

// sync brings room number's cascade in line with its local members: it
// joins the cascade with the first member, tells the host of changes,
// and leaves it with the last.
func (c *RoomCascade) sync(ctx context.Context, number string) {
	x := c.part(number)
	local := x.r.LocalMembers(ctx)
	if len(local) == 0 {
		c.teardown(ctx, x)
		return
	}
	host := c.hostOf(ctx, x)
	switch host {
	case "":
		return // the directory is unreachable: try at the next resync
	case c.cl.Self():
		c.syncHost(ctx, x)
	default:
		c.syncEdge(ctx, x, host, local)
	}
	x.op.Lock()
	x.r.Reconcile(ctx)
	x.op.Unlock()
}

// part is room number's cascade state, made on first use.
func (c *RoomCascade) part(number string) *xroom {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.parts[number]
	if x == nil {
		x = &xroom{number: number, edges: map[string]*xedge{}}
		x.r = sfu.NewCascadeRoom(c.rooms, c.cas, number, c.cl.Self(), c.topK, c.keyframeOf(number), c.log)
		x.r.SetMeeting(c.moderateFor(number), func() { c.changed(number) })
		x.r.SetChat(c.chatFor(number))
		c.parts[number] = x
	}
	return x
}

// hostOf is the room's host, claimed for this node if nobody hosts it.
func (c *RoomCascade) hostOf(ctx context.Context, x *xroom) string {
	c.mu.Lock()
	host := x.host
	c.mu.Unlock()
	if host != "" {
		return host
	}
	host, err := c.cl.ClaimRoom(ctx, x.number)
	if err != nil {
		c.log.Warn("cascade: claim", "room", x.number, "err", err)
		return ""
	}
	c.mu.Lock()
	x.host = host
	c.mu.Unlock()
	if host == c.cl.Self() {
		c.hostingChanged(x.number)
	}
	return host
}

// syncHost: the host decides the speaker frame and tells every edge the
// members of the others.
func (c *RoomCascade) syncHost(ctx context.Context, x *xroom) {
	number := x.number
	x.r.SetRole(ctx, true, func(dominant string, speaking []string) {
		c.enqueue(func(ctx context.Context) { c.pushSpeakers(ctx, number, dominant, speaking) })
	})
	x.op.Lock()
	x.r.SetRemote(ctx, c.edgeMembers(x, ""))
	x.op.Unlock()
	c.pushRosters(ctx, x, "")
}

// edgeMembers are the members of every edge but skip.
func (c *RoomCascade) edgeMembers(x *xroom, skip string) []sfu.CascadeMember {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sfu.CascadeMember
	for node, e := range x.edges {
		if node != skip {
			out = append(out, e.members...)
		}
	}
	return out
}

// rosterFor is what the host tells edge node: everyone else's members
// and the speaker frame.
func (c *RoomCascade) rosterFor(ctx context.Context, x *xroom, node string) xRoster {
	members := append(x.r.LocalMembers(ctx), c.edgeMembers(x, node)...)
	dominant, speaking := x.r.Speakers(ctx)
	return xRoster{Room: x.number, Members: members, Dominant: dominant, Speaking: speaking, Locked: x.r.Locked(ctx)}
}

// pushRosters tells every edge but skip its roster (worker only).
func (c *RoomCascade) pushRosters(ctx context.Context, x *xroom, skip string) {
	for _, node := range c.edgeNodes(x) {
		if node == skip {
			continue
		}
		if err := c.call(ctx, node, mRoomRoster, c.rosterFor(ctx, x, node), nil); err != nil {
			c.log.Debug("cascade: roster", "room", x.number, "node", node, "err", err)
		}
	}
}

func (c *RoomCascade) edgeNodes(x *xroom) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(x.edges))
	for n := range x.edges {
		out = append(out, n)
	}
	return out
}

// pushSpeakers tells every edge the host's new speaker frame.
func (c *RoomCascade) pushSpeakers(ctx context.Context, number, dominant string, speaking []string) {
	c.mu.Lock()
	x := c.parts[number]
	c.mu.Unlock()
	if x == nil {
		return
	}
	for _, node := range c.edgeNodes(x) {
		_ = c.call(ctx, node, mRoomSpeakers, xRoster{Room: number, Dominant: dominant, Speaking: speaking}, nil)
	}
}

// accept takes media from node at addr (one key per node, for all rooms).
func (c *RoomCascade) accept(node, addr string, key *sfu.CascadeKey) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || key == nil {
		return ap, errBadCascade
	}
	if err := c.cas.Accept(ap, *key); err != nil {
		return ap, err
	}
	c.mu.Lock()
	c.addrs[node] = ap
	c.mu.Unlock()
	return ap, nil
}
