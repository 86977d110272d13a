package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"xphone/cluster/clustertest"
)

// A Redis outage: operations fail fast with ErrUnavailable, the node keeps
// what it holds, and when Redis comes back empty the nodes heal the
// directory, the node list and the bus subscriptions without a restart.
func TestRedisOutageFailsFastAndHeals(t *testing.T) {
	t.Parallel()
	srv := clustertest.StartRedis(t)
	join := func(id string) *Redis {
		n, err := NewRedis(RedisOptions{NodeID: id, Addrs: []string{srv.Addr()}, TTL: testTTL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	a, b := join("a"), join("b")
	b.Handle("echo", func(_ context.Context, _ string, body []byte) ([]byte, error) { return body, nil })
	if err := a.AddExtension(ctxT(t), "201"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ClaimRoom(ctxT(t), "sales"); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	eventually(t, time.Second, "a notices the outage", func() bool { return !a.Healthy() })
	start := time.Now()
	if _, err := a.ExtensionNodes(ctxT(t), "201"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lookup during the outage gave %v, want ErrUnavailable", err)
	}
	if _, err := a.Call(ctxT(t), "b", "echo", nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("call during the outage gave %v, want ErrUnavailable", err)
	}
	if err := a.AddExtension(ctxT(t), "202"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("add during the outage gave %v, want ErrUnavailable", err)
	}
	if st := a.Stats(); st.Unavailable < 3 || st.CallErrors < 1 {
		t.Fatalf("stats %+v after three refused operations", st)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Fatalf("three operations took %v during the outage, want fast failures", took)
	}

	c := join("c") // a node that starts while Redis is down
	if c.Healthy() {
		t.Fatal("c healthy without Redis")
	}

	srv.Start() // empty: no persistence
	eventually(t, 3*testTTL, "a, b and c healthy", func() bool { return a.Healthy() && b.Healthy() && c.Healthy() })
	eventually(t, 3*testTTL, "directory healed", func() bool {
		n1, err1 := b.ExtensionNodes(ctxT(t), "201")
		n2, err2 := b.ExtensionNodes(ctxT(t), "202")
		return err1 == nil && err2 == nil && slices.Equal(n1, []string{"a"}) && slices.Equal(n2, []string{"a"})
	})
	if host, err := b.RoomHost(ctxT(t), "sales"); err != nil || host != "a" {
		t.Fatalf("room host after the outage %q (%v), want a", host, err)
	}
	if got := nodeIDs(t, b); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("nodes after the outage %v", got)
	}
	eventually(t, 3*testTTL, "the bus works again (subscriptions renewed)", func() bool {
		got, err := a.Call(ctxT(t), "b", "echo", []byte("back"))
		_, errc := b.Call(ctxT(t), "c", "none", nil)
		return err == nil && string(got) == "back" && errors.Is(errc, ErrNoHandler)
	})
}
