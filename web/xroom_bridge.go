package web

// A bridged room (rooms[].bridge) dials its PBX conference from one node
// only, the host of its cascade: the bridge leg is then a member of the
// host, and its audio reaches the other nodes like any member's. When
// the host changes, the new host's Bridges is told (OnHosting) and dials.

// Hosts reports whether this node hosts room's cascade (a room bridge
// gate: sfu.Bridges.SetGate).
func (c *RoomCascade) Hosts(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.parts[room]
	return x != nil && x.host == c.cl.Self()
}

// OnHosting registers f, told (with the room's number, from no lock)
// whenever this node starts or stops hosting a room's cascade.
func (c *RoomCascade) OnHosting(f func(room string)) {
	c.mu.Lock()
	c.onHosting = f
	c.mu.Unlock()
}

// hostingChanged tells OnHosting's f about room; call it with no lock.
func (c *RoomCascade) hostingChanged(room string) {
	c.mu.Lock()
	f := c.onHosting
	c.mu.Unlock()
	if f != nil {
		f(room)
	}
}
