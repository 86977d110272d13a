package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

type oneExtension struct{}

func (oneExtension) Lookup(ext string) (configs.Extension, bool) {
	return configs.Extension{Number: ext, Name: "Bob", Xphone: true}, ext == "1002"
}

type dialOutcome struct {
	leg sfu.Leg
	err error
}

// TestCallAcrossNodesHomeNodeDies: the callee's home node dies without a
// word (its heartbeat gone). A call still ringing there fails as
// unavailable; an answered one ends the callee's leg on the anchor with
// connection_lost, which call control passes on to the caller.
func TestCallAcrossNodesHomeNodeDies(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	media := loopbackMedia(t, log)
	hub, anchor := anchorNode(t)
	r := NewRegistry(oneExtension{}, media, log)
	r.UseCluster(anchor, nil, nil)
	defer r.Close()

	for _, answered := range []bool{false, true} {
		home, rung := fakeHome(t, hub)
		got := make(chan dialOutcome, 1)
		go func() {
			leg, err := r.Dial(context.Background(), sfu.DialRequest{CallID: "c1", From: sfu.Identity{Number: "1001"}, To: "1002", Ringing: func() {}})
			got <- dialOutcome{leg, err}
		}()
		call := <-rung
		if answered {
			answerFrom(t, home, call)
			out := <-got
			if out.err != nil {
				t.Fatal(out.err)
			}
			_ = home.Close() // dies: the anchor hears it from the node watch alone
			select {
			case <-out.leg.Done():
			case <-time.After(3 * time.Second):
				t.Fatal("the callee's leg outlived its home node")
			}
			if r := out.leg.EndReason(); r != sfu.ReasonConnectionLost {
				t.Fatalf("the callee's leg ended with %s", r)
			}
			continue
		}
		_ = home.Close()
		select {
		case out := <-got:
			if !errors.Is(out.err, sfu.ErrUnavailable) {
				t.Fatalf("ringing on a dead node ended with %v", out.err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the caller still waits for a dead node")
		}
	}
}

// loopbackMedia is a media API on lo, closed when the test ends.
func loopbackMedia(t *testing.T, log *slog.Logger) *sfu.MediaAPI {
	t.Helper()
	media, err := sfu.NewMediaAPI(configs.Media{Interfaces: []string{"lo"}}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { media.Close() })
	return media
}

// anchorNode is node "a" of a new in-memory cluster, which leaves it
// when the test ends.
func anchorNode(t *testing.T) (*cluster.Hub, cluster.Cluster) {
	t.Helper()
	hub := cluster.NewHub(nil)
	anchor, err := hub.Node("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = anchor.Close() })
	return hub, anchor
}

// fakeHome is a node holding 1002's tabs that reports each ring it gets.
func fakeHome(t *testing.T, hub *cluster.Hub) (cluster.Cluster, chan string) {
	t.Helper()
	home, err := hub.Node("b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := home.AddExtension(context.Background(), "1002"); err != nil {
		t.Fatal(err)
	}
	rung := make(chan string, 1)
	home.Handle(mRing, func(_ context.Context, _ string, body []byte) ([]byte, error) {
		var m xRing
		err := json.Unmarshal(body, &m)
		rung <- m.Call
		return nil, err
	})
	return home, rung
}

// answerFrom accepts call from home with a pion client's offer; the
// anchor's reply must be an SDP answer.
func answerFrom(t *testing.T, home cluster.Cluster, call string) {
	t.Helper()
	c, err := sfutest.NewClient(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(xAnswer{Call: call, Number: "1002", Name: "Bob", Offer: offer})
	reply, err := home.Call(ctx, "a", mAnswer, body)
	if err != nil {
		t.Fatal(err)
	}
	var a xAnswered
	if err := json.Unmarshal(reply, &a); err != nil || a.SDP == "" {
		t.Fatalf("answer %s: %v", reply, err)
	}
}
