package web

import (
	"context"
	"slices"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// TestRoomAcrossThreeNodes: room 7000 with one member on each of three
// nodes is one room: every node's Users list has all three, everyone
// hears the two others' tones (decoded) and not their own, the speaker
// frame is the same on every node, and when the host node leaves, the
// two others re-link under a new host, drop its member and still hear
// each other.
func TestRoomAcrossThreeNodes(t *testing.T) {
	hub := cluster.NewHub(nil)
	nodes := []*cascadeNode{newCascadeNode(t, hub, "n1", sfu.VideoNone),
		newCascadeNode(t, hub, "n2", sfu.VideoNone), newCascadeNode(t, hub, "n3", sfu.VideoNone)}
	freqs := map[string]float64{"1001": 440, "1002": 700, "1003": 1100}
	var users []*roomUser
	for i, n := range nodes {
		u := joinUser(t, n, []string{"1001", "1002", "1003"}[i], sfutest.Options{})
		u.client.Level.Store(20)
		if err := u.client.StartTone(freqs[u.number], 8000); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	all := []string{"1001", "1002", "1003"}
	waitFor(t, 5*time.Second, "the same Users list on every node", func() bool {
		return everyoneSees(users, all)
	})
	for _, u := range users {
		u.client.ForgetHeard()
	}
	waitFor(t, 10*time.Second, "a second of mix decoded by everyone", func() bool { return heardEnough(users) })
	for _, u := range users {
		hears(t, u, users, freqs)
	}

	// 1002 alone talks: every node shows 1002 as the speaker.
	for _, u := range []*roomUser{users[0], users[2]} {
		u.client.Silent.Store(true)
		u.client.Level.Store(127)
	}
	waitFor(t, 5*time.Second, "1002 the speaker on every node", func() bool {
		for _, u := range users {
			if u.obs.speaker() != users[1].leg.ID() {
				return false
			}
		}
		return true
	})
	for _, u := range users {
		u.client.Silent.Store(false)
		u.client.Level.Store(20)
	}

	// The host leaves: the others claim the room again and re-link.
	host, err := nodes[0].bus.RoomHost(context.Background(), "7000")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(nodes, func(n *cascadeNode) bool { return n.id == host })
	if i < 0 {
		t.Fatalf("room host %q is none of the nodes", host)
	}
	nodes[i].stop()
	left := slices.Delete(slices.Clone(users), i, i+1)
	want := slices.Delete(slices.Clone(all), i, i+1)
	waitFor(t, 5*time.Second, "the leaving node's member gone everywhere", func() bool {
		return everyoneSees(left, want)
	})
	for _, u := range left {
		u.client.ForgetHeard()
	}
	waitFor(t, 10*time.Second, "the mix decoded after the re-link", func() bool { return heardEnough(left) })
	for _, u := range left {
		hears(t, u, left, freqs)
	}
}

// everyoneSees: every user's Users list is exactly want.
func everyoneSees(users []*roomUser, want []string) bool {
	for _, u := range users {
		if !slices.Equal(u.obs.users(), want) {
			return false
		}
	}
	return true
}

// TestRoomVideoAcrossNodes: a camera on n3 is shown to viewers on n1 (the
// host: the first member is there) and n2 (through the host's relay) in a
// slot naming its member. The camera sends key frames only when asked,
// so the viewers' key frames prove their requests travelled back across
// nodes to it.
func TestRoomVideoAcrossNodes(t *testing.T) {
	hub := cluster.NewHub(nil)
	nodes := []*cascadeNode{newCascadeNode(t, hub, "n1", sfu.VideoAll),
		newCascadeNode(t, hub, "n2", sfu.VideoAll), newCascadeNode(t, hub, "n3", sfu.VideoAll)}
	first := joinUser(t, nodes[0], "1001", sfutest.Options{Video: true})
	waitFor(t, 2*time.Second, "n1 hosting room 7000", func() bool {
		host, _ := nodes[1].bus.RoomHost(context.Background(), "7000")
		return host == "n1"
	})
	viewers := []*roomUser{first, joinUser(t, nodes[1], "1002", sfutest.Options{Video: true})}
	cam := sfutest.Options{Video: true, VideoKbps: 300, KeyframeEvery: time.Hour}
	pub := joinUser(t, nodes[2], "1003", cam)
	pub.client.VideoMarker.Store('P')
	if err := pub.client.StartTone(700, 8000); err != nil {
		t.Fatal(err)
	}
	for _, v := range viewers {
		waitFor(t, 8*time.Second, v.number+" shown 1003's video", func() bool {
			return showsVideoOf(v, pub.leg.ID(), 'P')
		})
	}
	if nodes[2].rc.keyframes.Load() == 0 {
		t.Fatal("no keyframe request reached the camera's node")
	}
}

// showsVideoOf: one of v's slots names member and carries its packets,
// key frames included.
func showsVideoOf(v *roomUser, member string, marker byte) bool {
	v.obs.mu.Lock()
	slots := slices.Clone(v.obs.slots)
	v.obs.mu.Unlock()
	for _, s := range slots {
		if s.Member != member {
			continue
		}
		packets, got := v.client.VideoOn(s.Mid)
		keys, _ := v.client.VideoFlow(s.Mid)
		return packets >= 5 && got == marker && keys > 0
	}
	return false
}

// TestRoomEdgeNodeLeaves: an edge node (not the host) leaving takes its
// members off every other node's Users list; the host stays the host.
// The leaving node sends no xroom message (stop closes its cascade, then
// its bus node): the host learns it from the node watch alone, as it
// would of a node that died.
func TestRoomEdgeNodeLeaves(t *testing.T) {
	hub := cluster.NewHub(nil)
	nodes := []*cascadeNode{newCascadeNode(t, hub, "n1", sfu.VideoNone),
		newCascadeNode(t, hub, "n2", sfu.VideoNone), newCascadeNode(t, hub, "n3", sfu.VideoNone)}
	first := joinUser(t, nodes[0], "1001", sfutest.Options{})
	waitFor(t, 2*time.Second, "n1 hosting room 7000", func() bool {
		host, _ := nodes[1].bus.RoomHost(context.Background(), "7000")
		return host == "n1"
	})
	users := []*roomUser{first, joinUser(t, nodes[1], "1002", sfutest.Options{}),
		joinUser(t, nodes[1], "1012", sfutest.Options{}), joinUser(t, nodes[2], "1003", sfutest.Options{})}
	waitFor(t, 5*time.Second, "four members on every node", func() bool {
		return everyoneSees(users, []string{"1001", "1002", "1003", "1012"})
	})
	nodes[1].stop()
	waitFor(t, 5*time.Second, "n2's two members gone from n1 and n3", func() bool {
		return everyoneSees([]*roomUser{users[0], users[3]}, []string{"1001", "1003"})
	})
	if host, _ := nodes[2].bus.RoomHost(context.Background(), "7000"); host != "n1" {
		t.Fatalf("room 7000 is hosted by %q after an edge left, want n1", host)
	}
}
