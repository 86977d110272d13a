package web

import (
	"context"
	"errors"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// member is number's entry in the Users list o was last told.
func (o *roomObserver) member(number string) (sfu.Member, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range o.roster {
		if m.Number == number {
			return m, true
		}
	}
	return sfu.Member{}, false
}

// allShow: every user's Users list has number in the state ok wants.
func allShow(users []*roomUser, number string, ok func(sfu.Member) bool) bool {
	for _, u := range users {
		m, in := u.obs.member(number)
		if !in || !ok(m) {
			return false
		}
	}
	return true
}

// moderate is a moderator's action through the room of their own node.
func moderate(t *testing.T, n *cascadeNode, mod *roomUser, action sfu.ModAction, target *roomUser, on bool) {
	t.Helper()
	id := ""
	if target != nil {
		id = target.leg.ID()
	}
	if err := n.rooms.Of(mod.leg).Moderate(context.Background(), mod.leg, action, id, on); err != nil {
		t.Fatalf("%s %s: %v", mod.number, action, err)
	}
}

// TestModerationAcrossNodes: room 7000 with a member on each of three
// nodes and its moderator 1002 on n2 (an edge; n1 hosts). A raised hand
// and the moderator flag show on every node. The moderator mutes 1001 on
// n1: 1001's own tab shows it, every node shows it and nobody hears
// 1001 any more; lowering 1003's hand on n3 and unmuting act there too.
// A lock from n2 reaches every node: joins on n1 and n3 are refused, and
// a member joining n3 after its last member was removed (the moderator
// removes 1003) is sent away as soon as n3 learns of the lock.
func TestModerationAcrossNodes(t *testing.T) {
	hub := cluster.NewHub(nil)
	spec := sfu.RoomSpec{Number: "7000", Name: "All hands", Video: sfu.VideoNone, Moderators: []string{"1002"}}
	nodes := []*cascadeNode{newCascadeNodeFor(t, hub, "n1", spec), newCascadeNodeFor(t, hub, "n2", spec),
		newCascadeNodeFor(t, hub, "n3", spec)}
	u1 := joinUser(t, nodes[0], "1001", sfutest.Options{})
	waitFor(t, 2*time.Second, "n1 hosting room 7000", func() bool {
		host, _ := nodes[1].bus.RoomHost(context.Background(), "7000")
		return host == "n1"
	})
	mod, u3 := joinUser(t, nodes[1], "1002", sfutest.Options{}), joinUser(t, nodes[2], "1003", sfutest.Options{})
	users := []*roomUser{u1, mod, u3}
	for _, u := range users { // the others' tones keep the mix going while 1001 is muted
		u.client.Level.Store(20)
		if err := u.client.StartTone(map[string]float64{"1001": 440, "1002": 700, "1003": 1100}[u.number], 8000); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "everyone on every node, 1002 a moderator", func() bool {
		return everyoneSees(users, []string{"1001", "1002", "1003"}) &&
			allShow(users, "1002", func(m sfu.Member) bool { return m.Moderator })
	})
	if err := nodes[2].rooms.Of(u3.leg).RaiseHand(context.Background(), u3.leg, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "1003's raised hand on every node", func() bool {
		return allShow(users, "1003", func(m sfu.Member) bool { return m.Hand })
	})
	assertHeard(t, u3, 440, true)

	moderate(t, nodes[1], mod, sfu.ModMute, u1, true)
	waitFor(t, 5*time.Second, "1001 muted on every node, its own tab too", func() bool {
		return allShow(users, "1001", func(m sfu.Member) bool { return m.ModMuted && m.Muted })
	})
	assertHeard(t, u3, 440, false)
	assertHeard(t, mod, 440, false)
	moderate(t, nodes[1], mod, sfu.ModLowerHand, u3, false)
	moderate(t, nodes[1], mod, sfu.ModMute, u1, false)
	waitFor(t, 5*time.Second, "1003's hand down and 1001 unmuted everywhere", func() bool {
		return allShow(users, "1003", func(m sfu.Member) bool { return !m.Hand }) &&
			allShow(users, "1001", func(m sfu.Member) bool { return !m.Muted })
	})
	assertHeard(t, u3, 440, true)

	lockedAcross(t, nodes, mod, u3)
}

// assertHeard: u's next second of decoded audio has (or lacks) a tone.
func assertHeard(t *testing.T, u *roomUser, freq float64, want bool) {
	t.Helper()
	u.client.ForgetHeard()
	waitFor(t, 10*time.Second, "a second of mix decoded by "+u.number, func() bool { return heardEnough([]*roomUser{u}) })
	db := sfutest.ToneDB(u.client.Heard(time.Second), freq)
	if want && db < -40 {
		t.Errorf("%s does not hear %.0f Hz: %.1f dB", u.number, freq, db)
	}
	if !want && db > -50 {
		t.Errorf("%s still hears %.0f Hz: %.1f dB", u.number, freq, db)
	}
}

// lockedAcross: the moderator on n2 locks the room; every node refuses
// joins, including n3 once the moderator removed its member.
func lockedAcross(t *testing.T, nodes []*cascadeNode, mod, u3 *roomUser) {
	t.Helper()
	moderate(t, nodes[1], mod, sfu.ModLock, nil, true)
	waitFor(t, 10*time.Second, "room 7000 locked on every node", func() bool {
		for _, n := range nodes {
			rooms := n.rooms.Snapshot(context.Background())
			if len(rooms) != 1 || !rooms[0].Locked {
				return false
			}
		}
		return true
	})
	for i, number := range []string{"1011", "1013"} {
		if _, err := tryJoin(t, nodes[2*i], number, sfutest.Options{}); !errors.Is(err, sfu.ErrRoomLocked) {
			t.Fatalf("%s joining the locked room on %s: %v, want refused", number, nodes[2*i].id, err)
		}
	}
	moderate(t, nodes[1], mod, sfu.ModRemove, u3, true)
	select {
	case <-u3.leg.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("1003 on n3 not removed")
	}
	if r := u3.leg.EndReason(); r != sfu.ReasonRemoved {
		t.Fatalf("1003's call ended with %q, want %q", r, sfu.ReasonRemoved)
	}
	waitFor(t, 10*time.Second, "n3 out of the room", func() bool { return nodes[2].rooms.Legs("7000") == 0 })
	late, err := tryJoin(t, nodes[2], "1023", sfutest.Options{})
	if err != nil {
		t.Fatalf("1023 joining an empty n3: %v", err)
	}
	select {
	case <-late.leg.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("1023 joined the locked room on n3 and stayed")
	}
	if r := late.leg.EndReason(); r != sfu.ReasonRoomLocked {
		t.Fatalf("1023's call ended with %q, want %q", r, sfu.ReasonRoomLocked)
	}
}
