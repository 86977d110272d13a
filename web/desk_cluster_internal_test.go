package web

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
)

// A node that dies takes the presence it reported with it, without any
// "offline" from it; this node's own states reach the others and the
// directory.
func TestClusterPresenceDropsADeadNode(t *testing.T) {
	hub := cluster.NewHub(nil)
	self, err := hub.Node("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	other, err := hub.Node("b", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := newClusterPresence(self)
	var mu sync.Mutex
	changed := map[string]int{}
	p.start(func(ext string) { mu.Lock(); changed[ext]++; mu.Unlock() }, func() {})
	defer p.stop()
	heard := make(chan string, 4)
	defer other.Subscribe(presenceTopic, func(_ string, body []byte) { heard <- string(body) })()

	if got := p.local("1001", sfu.PresenceAvailable); got != sfu.PresenceAvailable {
		t.Fatalf("own state shown as %s", got)
	}
	if got := waitNote(t, heard); got != `{"states":{"1001":"available"}}` {
		t.Fatalf("the other node heard %s", got)
	}
	if nodes, _ := other.ExtensionNodes(context.Background(), "1001"); !slices.Equal(nodes, []string{"a"}) {
		t.Fatalf("directory has 1001 on %v", nodes)
	}
	if err := other.Broadcast(context.Background(), presenceTopic, []byte(`{"states":{"1002":"on_call","1001":"ringing"}}`)); err != nil {
		t.Fatal(err)
	}
	waitChanged := func(ext string, n int) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); ; <-time.After(5 * time.Millisecond) {
			mu.Lock()
			c := changed[ext]
			mu.Unlock()
			if c >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no change of %s reported", ext)
			}
		}
	}
	waitChanged("1002", 1)
	if got := p.local("1002", sfu.PresenceOffline); got != sfu.PresenceOnCall {
		t.Fatalf("1002 on a call elsewhere shown as %s", got)
	}
	if got := p.local("1001", sfu.PresenceAvailable); got != sfu.PresenceRinging {
		t.Fatalf("1001 ringing elsewhere, available here, shown as %s", got)
	}
	_ = other.Close() // dies: no offline note from it
	waitChanged("1002", 2)
	if got := p.local("1002", sfu.PresenceOffline); got != sfu.PresenceOffline {
		t.Fatalf("1002 of a dead node shown as %s", got)
	}
}

func waitNote(t *testing.T, heard <-chan string) string {
	t.Helper()
	select {
	case s := <-heard:
		return s
	case <-time.After(2 * time.Second):
		t.Fatal("nothing heard")
		return ""
	}
}
