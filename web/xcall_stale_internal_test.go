package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
)

// staleDirectory is a cluster whose directory still lists a killed node
// ("0-killed", first in order) for every extension, as the Redis one does
// until the dead node's heartbeat expires; the bus knows no such node.
type staleDirectory struct{ cluster.Cluster }

func (s staleDirectory) ExtensionNodes(ctx context.Context, ext string) ([]string, error) {
	nodes, err := s.Cluster.ExtensionNodes(ctx, ext)
	return append([]string{"0-killed"}, nodes...), err
}

// TestCallAcrossNodesSkipsAKilledNode: the callee's first node in the
// directory was killed (its entry not yet expired) and the callee's tab
// reconnected to another node. The call rings there at once instead of
// failing as unavailable until the entry expires (found by the three-node
// Chromium suite, test/e2e/cluster_suite_test.go: ≈ 6 s of "Unavailable"
// after a kill -9).
func TestCallAcrossNodesSkipsAKilledNode(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	media := loopbackMedia(t, log)
	hub, anchor := anchorNode(t)
	r := NewRegistry(oneExtension{}, media, log)
	r.UseCluster(staleDirectory{anchor}, nil, nil)
	defer r.Close()
	home, rung := fakeHome(t, hub)
	defer home.Close()

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan dialOutcome, 1)
	go func() {
		leg, err := r.Dial(ctx, sfu.DialRequest{CallID: "c1", From: sfu.Identity{Number: "1001"}, To: "1002", Ringing: func() {}})
		got <- dialOutcome{leg, err}
	}()
	select {
	case <-rung:
	case out := <-got:
		t.Fatalf("the call ended with %v instead of ringing on the live node", out.err)
	case <-time.After(3 * time.Second):
		t.Fatal("the live node was not rung")
	}
	cancel()
	if out := <-got; out.err == nil || errors.Is(out.err, sfu.ErrUnavailable) {
		t.Fatalf("cancelled dial ended with %v", out.err)
	}
}
