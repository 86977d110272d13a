package web

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

func (o *roomObserver) MeetingState(string, sfu.MeetingState) {}
func (o *roomObserver) Notice(string, sfu.Notice)             {}
func (o *roomObserver) Chat(_ string, msgs []sfu.ChatMessage, _ bool) {
	o.mu.Lock()
	o.chat = append(o.chat, msgs...)
	o.mu.Unlock()
}

// lines is the chat as the member's tab shows it: "number: text".
func (o *roomObserver) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.chat))
	for _, m := range o.chat {
		out = append(out, fmt.Sprintf("%s: %s", m.Number, m.Text))
	}
	return out
}

// TestChatAcrossNodes: chat messages written on an edge (n2) and on the
// host (n1) reach the members of all three nodes once each, in order,
// and a member joining n3 later finds them in the history.
func TestChatAcrossNodes(t *testing.T) {
	hub := cluster.NewHub(nil)
	nodes := []*cascadeNode{newCascadeNode(t, hub, "n1", sfu.VideoNone),
		newCascadeNode(t, hub, "n2", sfu.VideoNone), newCascadeNode(t, hub, "n3", sfu.VideoNone)}
	u1 := joinUser(t, nodes[0], "1001", sfutest.Options{})
	waitFor(t, 2*time.Second, "n1 hosting room 7000", func() bool {
		host, _ := nodes[1].bus.RoomHost(context.Background(), "7000")
		return host == "n1"
	})
	users := []*roomUser{u1, joinUser(t, nodes[1], "1002", sfutest.Options{}), joinUser(t, nodes[2], "1003", sfutest.Options{})}
	waitFor(t, 5*time.Second, "everyone on every node", func() bool {
		return everyoneSees(users, []string{"1001", "1002", "1003"})
	})
	want := []string{"1002: hello from n2", "1001: hello from the host"}
	for i, u := range []*roomUser{users[1], users[0]} {
		n := nodes[1-i]
		if err := n.rooms.Of(u.leg).SendChat(context.Background(), u.leg, want[i][6:]); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "\""+want[i]+"\" on every node", func() bool {
			for _, u := range users {
				if !slices.Equal(u.obs.lines(), want[:i+1]) {
					return false
				}
			}
			return true
		})
	}
	late := joinUser(t, nodes[2], "1013", sfutest.Options{})
	for _, u := range append(users, late) {
		if got := u.obs.lines(); !slices.Equal(got, want) {
			t.Errorf("%s's chat is %q, want %q", u.number, got, want)
		}
	}
}
