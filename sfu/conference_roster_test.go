package sfu

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestConferenceRosterInRoomJoinOrderAcrossNodes: a node's roster lists
// the room in the order its members joined the room, wherever they
// joined (docs/signaling.md: the roster is in join order). Bob joins
// here first; the stand-in of Alice, who joined on n1 a second before
// him, comes after; Carol joined on n3 after Bob. Every node sorts by
// the same join times, so the Users list is the same everywhere; before,
// each node listed its own members first.
func TestConferenceRosterInRoomJoinOrderAcrossNodes(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoNone)
	bob := joinRoom(t, api, rooms, "1002", false)
	now := time.Now()
	for _, m := range []CascadeMember{
		{ID: "leg-carol", Number: "1003", Name: "Carol", Node: "n3", Joined: now.Add(time.Second).UnixMilli()},
		{ID: "leg-alice", Number: "1001", Name: "Alice", Node: "n1", Joined: now.Add(-time.Second).UnixMilli()},
	} {
		l := newCascadeLeg(m, nil)
		conf, err := rooms.Join(context.Background(), "800", "", "cascade-"+m.ID, l, silentObserver{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rooms.Leave(conf, l) })
	}
	want := []string{"1001", "1002", "1003"}
	var got []string
	eventually(t, 5*time.Second, "Bob's roster of three", func() bool {
		bob.obs.mu.Lock()
		defer bob.obs.mu.Unlock()
		got = got[:0]
		for _, m := range bob.obs.roster {
			got = append(got, m.Number)
		}
		return len(got) == 3
	})
	if !slices.Equal(got, want) {
		t.Fatalf("Bob's roster lists %v, want the room's join order %v", got, want)
	}
}
