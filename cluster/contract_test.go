package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/cluster/clustertest"
)

// backend makes nodes of one implementation for the contract suite.
type backend struct {
	name string
	// join starts node id; the test closes it at cleanup.
	join func(t *testing.T, id string) Cluster
	// death is how long a crashed node may take to be seen dead.
	death time.Duration
}

const testTTL = 900 * time.Millisecond

func backends(t *testing.T) []backend {
	hub := func() func(t *testing.T, id string) Cluster {
		h := NewHub(nil)
		return func(t *testing.T, id string) Cluster {
			n, err := h.Node(id, []string{id + ".example:443"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = n.Close() })
			return n
		}
	}
	redisNodes := func() func(t *testing.T, id string) Cluster {
		srv := clustertest.StartRedis(t)
		return func(t *testing.T, id string) Cluster {
			n, err := NewRedis(RedisOptions{NodeID: id, Addrs: []string{srv.Addr()}, Advertise: []string{id + ".example:443"}, TTL: testTTL})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = n.Close() })
			return n
		}
	}
	return []backend{
		{name: "memory", join: lazy(hub), death: time.Second},
		{name: "redis", join: lazy(redisNodes), death: 3 * testTTL},
	}
}

// lazy builds a backend's shared state (a hub, a redis-server) per test.
func lazy(mk func() func(t *testing.T, id string) Cluster) func(t *testing.T, id string) Cluster {
	var mu sync.Mutex
	var tests = map[*testing.T]func(t *testing.T, id string) Cluster{}
	return func(t *testing.T, id string) Cluster {
		mu.Lock()
		defer mu.Unlock()
		if tests[t] == nil {
			tests[t] = mk()
		}
		return tests[t](t, id)
	}
}

// eachBackend runs test against every implementation.
func eachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Parallel() // each test has its own hub and redis-server
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// eventually polls cond every 10 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		<-time.After(10 * time.Millisecond)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func nodeIDs(t *testing.T, c Cluster) []string {
	nodes, err := c.Nodes(ctxT(t))
	if err != nil {
		t.Logf("nodes: %v", err)
		return nil
	}
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

// crash stops a node without leaving, as kill -9 would.
func crash(c Cluster) { c.(interface{ abandon() }).abandon() }

func TestContractNodesAppearWithLoadAndDie(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a := b.join(t, "a")
		events := make(chan NodeEvent, 10)
		defer a.WatchNodes(func(e NodeEvent) { events <- e })()
		nb, nc := b.join(t, "b"), b.join(t, "c")
		eventually(t, 2*time.Second, "a sees b and c", func() bool { return slices.Equal(nodeIDs(t, a), []string{"a", "b", "c"}) })
		nb.SetLoad(Load{Calls: 3, Participants: 7, CPU: 0.25})
		nb.SetDraining(true)
		eventually(t, 2*time.Second, "b's load and draining flag reach a", func() bool {
			nodes, _ := a.Nodes(ctxT(t))
			return len(nodes) == 3 && nodes[1].Load.Calls == 3 && nodes[1].Load.Participants == 7 && nodes[1].Draining &&
				slices.Equal(nodes[1].Addrs, []string{"b.example:443"})
		})
		waitEvents(t, events, time.Second, "b up", "c up")
		start := time.Now()
		_ = nb.Close()
		waitEvents(t, events, time.Second, "b down")
		t.Logf("leave seen after %v", time.Since(start))
		start = time.Now()
		crash(nc)
		waitEvents(t, events, b.death, "c down")
		t.Logf("crash seen after %v", time.Since(start))
		if got := nodeIDs(t, a); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("live nodes %v, want [a]", got)
		}
	})
}

// waitEvents waits until every wanted event ("b up", "c down") was seen,
// in any order.
func waitEvents(t *testing.T, events <-chan NodeEvent, within time.Duration, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	timeout := time.After(within)
	for len(missing) > 0 {
		select {
		case e := <-events:
			delete(missing, e.Node.ID+map[bool]string{true: " up", false: " down"}[e.Alive])
		case <-timeout:
			t.Fatalf("events %v not seen within %v", missing, within)
		}
	}
}

func TestContractExtensionDirectory(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, nb := b.join(t, "a"), b.join(t, "b")
		ctx := ctxT(t)
		for _, n := range []Cluster{a, nb} {
			if err := n.AddExtension(ctx, "201"); err != nil {
				t.Fatal(err)
			}
		}
		if err := nb.AddExtension(ctx, "202"); err != nil {
			t.Fatal(err)
		}
		wantNodes(t, a, "201", "a", "b")
		wantNodes(t, a, "202", "b")
		wantNodes(t, nb, "203")
		if err := a.RemoveExtension(ctx, "201"); err != nil {
			t.Fatal(err)
		}
		wantNodes(t, nb, "201", "b")
		// Entries outlive their first TTL while the node lives.
		<-time.After(2 * testTTL)
		wantNodes(t, a, "202", "b")
		crash(nb)
		eventually(t, b.death, "a dead node's extensions vanish", func() bool {
			got, err := a.ExtensionNodes(ctxT(t), "202")
			return err == nil && len(got) == 0
		})
	})
}

func wantNodes(t *testing.T, c Cluster, ext string, want ...string) {
	t.Helper()
	got, err := c.ExtensionNodes(ctxT(t), ext)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("%s sees %s on %v (%v), want %v", c.Self(), ext, got, err, want)
	}
}

func TestContractRoomHasExactlyOneHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		nodes := []Cluster{b.join(t, "a"), b.join(t, "b"), b.join(t, "c")}
		hosts := make([]string, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				host, err := n.ClaimRoom(ctxT(t), "sales")
				if err != nil {
					t.Error(err)
				}
				hosts[i] = host
			}()
		}
		wg.Wait()
		if hosts[0] == "" || hosts[0] != hosts[1] || hosts[1] != hosts[2] {
			t.Fatalf("claims answered hosts %v, want one host", hosts)
		}
		host := nodes[slices.Index([]string{"a", "b", "c"}, hosts[0])]
		<-time.After(2 * testTTL) // the host keeps its claim alive
		if got, _ := nodes[0].RoomHost(ctxT(t), "sales"); got != hosts[0] {
			t.Fatalf("room host %q after two TTLs, want %q", got, hosts[0])
		}
		_ = host.Close()
		other := nodes[(slices.Index(nodes, host)+1)%3]
		if got, err := other.ClaimRoom(ctxT(t), "sales"); err != nil || got != other.Self() {
			t.Fatalf("after the host left, claim gave %q (%v), want %q", got, err, other.Self())
		}
		if err := other.ReleaseRoom(ctxT(t), "sales"); err != nil {
			t.Fatal(err)
		}
		if got, _ := other.RoomHost(ctxT(t), "sales"); got != "" {
			t.Fatalf("released room still hosted by %q", got)
		}
	})
}

func TestContractBusRequestReply(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, nb := b.join(t, "a"), b.join(t, "b")
		nb.Handle("echo", func(_ context.Context, from string, body []byte) ([]byte, error) {
			return append([]byte(from+":"), body...), nil
		})
		nb.Handle("fail", func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("busy here") })
		nb.Handle("slow", func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		a.Handle("echo", func(_ context.Context, from string, body []byte) ([]byte, error) { return []byte("self"), nil })
		ctx := ctxT(t)
		if got, err := a.Call(ctx, "b", "echo", []byte("hi")); err != nil || string(got) != "a:hi" {
			t.Fatalf("echo = %q, %v; want a:hi", got, err)
		}
		if got, err := a.Call(ctx, "a", "echo", nil); err != nil || string(got) != "self" {
			t.Fatalf("call to self = %q, %v", got, err)
		}
		var remote *RemoteError
		if _, err := a.Call(ctx, "b", "fail", nil); !errors.As(err, &remote) || remote.Msg != "busy here" || !errors.Is(err, ErrRemote) {
			t.Fatalf("fail gave %v, want the remote error", err)
		}
		if _, err := a.Call(ctx, "b", "nope", nil); !errors.Is(err, ErrNoHandler) {
			t.Fatalf("unknown method gave %v, want ErrNoHandler", err)
		}
		if _, err := a.Call(ctx, "zz", "echo", nil); !errors.Is(err, ErrNoNode) {
			t.Fatalf("absent node gave %v, want ErrNoNode", err)
		}
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := a.Call(short, "b", "slow", nil); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Fatalf("slow call gave %v after %v, want the deadline", err, time.Since(start))
		}
		_ = nb.Close()
		if _, err := a.Call(ctx, "b", "echo", nil); !errors.Is(err, ErrNoNode) {
			t.Fatalf("call to a node that left gave %v, want ErrNoNode", err)
		}
		if st := a.Stats(); st.Calls != 7 || st.CallErrors != 5 {
			t.Fatalf("stats %+v, want 7 calls (the call to itself too), 5 failed", st)
		}
	})
}

func TestContractBroadcastReachesEveryNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		nodes := []Cluster{b.join(t, "a"), b.join(t, "b"), b.join(t, "c")}
		got := make(chan string, 10)
		for _, n := range nodes {
			defer n.Subscribe("presence", func(from string, p []byte) { got <- n.Self() + "<" + from + ":" + string(p) })()
		}
		defer nodes[0].Subscribe("other", func(string, []byte) { got <- "wrong topic" })()
		if err := nodes[1].Broadcast(ctxT(t), "presence", []byte("201=busy")); err != nil {
			t.Fatal(err)
		}
		var seen []string
		for range nodes {
			select {
			case s := <-got:
				seen = append(seen, s)
			case <-time.After(2 * time.Second):
				t.Fatalf("only %v received the broadcast", seen)
			}
		}
		slices.Sort(seen)
		want := []string{"a<b:201=busy", "b<b:201=busy", "c<b:201=busy"}
		if !slices.Equal(seen, want) {
			t.Fatalf("received %v, want %v", seen, want)
		}
	})
}

func TestContractLeaseFencingAndTakeover(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, nb := b.join(t, "a"), b.join(t, "b")
		ctx := ctxT(t)
		const ttl = 400 * time.Millisecond
		la, err := a.Acquire(ctx, "trunk:pbx", ttl)
		if err != nil {
			t.Fatal(err)
		}
		var held *HeldError
		if _, err := nb.Acquire(ctx, "trunk:pbx", ttl); !errors.As(err, &held) || held.Holder != "a" {
			t.Fatalf("second acquire gave %v, want held by a", err)
		}
		for range 3 { // the holder keeps it by renewing
			<-time.After(ttl / 2)
			if err := la.Renew(ctx); err != nil {
				t.Fatalf("renew: %v", err)
			}
		}
		if _, err := nb.Acquire(ctx, "trunk:pbx", ttl); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("acquire of a renewed lease gave %v", err)
		}
		start := time.Now() // a stops renewing, as if it died
		var lb *Lease
		eventually(t, 3*ttl, "b takes the lease over after its TTL", func() bool {
			lb, err = nb.Acquire(ctx, "trunk:pbx", ttl)
			return err == nil
		})
		if took := time.Since(start); took < ttl/2 {
			t.Fatalf("takeover after %v, before the TTL %v", took, ttl)
		}
		if lb.Token <= la.Token {
			t.Fatalf("fencing token %d after %d, want larger", lb.Token, la.Token)
		}
		if err := la.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("old holder's renew gave %v, want ErrLeaseLost", err)
		}
		if err := la.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Acquire(ctx, "trunk:pbx", ttl); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("a stale release freed the lease: %v", err)
		}
		if err := lb.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Acquire(ctx, "trunk:pbx", ttl); err != nil {
			t.Fatalf("acquire after release: %v", err)
		}
	})
}

func TestContractSharedRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, nb := b.join(t, "a"), b.join(t, "b")
		ctx := ctxT(t)
		if v, err := nb.Get(ctx, "trunk:pbx"); err != nil || v != nil {
			t.Fatalf("absent record = %q, %v", v, err)
		}
		if err := a.Put(ctx, "trunk:pbx", []byte("call-id 7"), 0); err != nil {
			t.Fatal(err)
		}
		if err := a.Put(ctx, "short", []byte("x"), 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if v, err := nb.Get(ctx, "trunk:pbx"); err != nil || string(v) != "call-id 7" {
			t.Fatalf("b reads %q, %v", v, err)
		}
		crash(a) // records outlive their writer
		if v, _ := nb.Get(ctx, "trunk:pbx"); string(v) != "call-id 7" {
			t.Fatalf("record gone with its writer: %q", v)
		}
		eventually(t, time.Second, "a record with a TTL expires", func() bool {
			v, err := nb.Get(ctx, "short")
			return err == nil && v == nil
		})
	})
}
