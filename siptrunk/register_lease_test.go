package siptrunk

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/cluster/clustertest"
	"xphone/configs"
)

// leaseTestTTL keeps the takeover test short; XPHONE_LEASE_TTL=10s
// measures the default (docs/cluster.md).
func leaseTestTTL(t *testing.T) time.Duration {
	if s := os.Getenv("XPHONE_LEASE_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		must(t, err)
		return d
	}
	return 3 * time.Second
}

// leasedTrunk is one node's trunk to kamailio, its registration a lease
// in the cluster node c.
func leasedTrunk(t *testing.T, c cluster.Cluster, listen string, ttl time.Duration) *Trunk {
	t.Helper()
	tc := configs.Trunk{Name: "pbx", Address: kamailioSIP, Listen: listen,
		Register: &configs.TrunkRegister{User: "xphone", Password: "s3cret", Expiry: configs.Duration(60 * time.Second)}}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Leases: c, LeaseTTL: ttl,
		Dialplan: []configs.DialRule{{Pattern: "0.", Trunk: "pbx", Permission: "national"}}}, nil, testLogger())
	must(t, err)
	must(t, tr.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Close(ctx)
	})
	return tr
}

// crashTrunk stops a trunk as kill -9 would: no unREGISTER, no lease
// release, its sockets just gone.
func crashTrunk(tr *Trunk) {
	tr.mu.Lock()
	tr.closed = true
	tr.mu.Unlock()
	tr.cancel()
	_ = tr.srv.Close()
	_ = tr.cli.Close()
	_ = tr.ua.Close()
	tr.closeSockets()
	tr.wg.Wait()
}

// registered lists the trunks that registered themselves.
func registered(trunks []*Trunk) []*Trunk {
	var out []*Trunk
	for _, tr := range trunks {
		if ok, _, _ := tr.Status(); ok {
			out = append(out, tr)
		}
	}
	return out
}

// waitSoleRegistrar waits until exactly one of trunks is registered and
// the registrar lists its contact alone; it returns that trunk.
func waitSoleRegistrar(t *testing.T, trunks []*Trunk, within time.Duration) *Trunk {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r := registered(trunks); len(r) == 1 {
			own := r[0].dua.ContactHDR.Address.String()
			if b := r[0].Bindings(); slices.Equal(b, []string{own}) {
				return r[0]
			}
		}
		<-time.After(20 * time.Millisecond)
	}
	for _, tr := range trunks {
		ok, n, err := tr.Status()
		holder, standby := tr.LeaseHolder()
		t.Logf("%s: registered=%v count=%d err=%v holder=%s standby=%v bindings=%v", tr.Addr(), ok, n, err, holder, standby, tr.Bindings())
	}
	t.Fatalf("no single registered trunk within %v", within)
	return nil
}

// TestTrunkRegistrationLeaseTakeover: three nodes share a trunk account;
// exactly one registers; when it dies (kill -9) another takes over within
// the lease TTL, continuing the Call-ID and removing the dead contact, and
// when that one shuts down cleanly the third takes over at once.
func TestTrunkRegistrationLeaseTakeover(t *testing.T) {
	startKamailio(t)
	redis := clustertest.StartRedis(t)
	ttl := leaseTestTTL(t)
	var trunks []*Trunk
	var nodes []cluster.Cluster
	for i := range 3 {
		c, err := cluster.NewRedis(cluster.RedisOptions{NodeID: fmt.Sprintf("n%d", i+1), Addrs: []string{redis.Addr()}, TTL: time.Second})
		must(t, err)
		t.Cleanup(func() { _ = c.Close() })
		nodes = append(nodes, c)
		trunks = append(trunks, leasedTrunk(t, c, fmt.Sprintf("%s:%d", ourIP, 5061+i), ttl))
	}
	first := waitSoleRegistrar(t, trunks, 5*time.Second)
	callID := recordCallID(t, nodes[0], first)
	firstNode, _ := first.LeaseHolder()
	for _, tr := range trunks {
		deadline := time.Now().Add(2 * time.Second)
		for tr != first {
			holder, standby := tr.LeaseHolder()
			if standby && holder == firstNode {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is not on standby behind %s (holder %q)", tr.Addr(), firstNode, holder)
			}
			<-time.After(20 * time.Millisecond)
		}
	}

	start := time.Now()
	crashTrunk(first)
	rest := slices.DeleteFunc(slices.Clone(trunks), func(tr *Trunk) bool { return tr == first })
	second := waitSoleRegistrar(t, rest, 20*time.Second)
	took := time.Since(start)
	t.Logf("takeover after kill -9 of the holder: %v (lease TTL %v)", took, ttl)
	if took > ttl+ttl/3+2*time.Second {
		t.Errorf("takeover took %v, want within the lease TTL %v plus one try", took, ttl)
	}
	if got := recordCallID(t, nodes[0], second); got != callID {
		t.Errorf("the new holder registers with Call-ID %q, want the continued %q", got, callID)
	}

	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	must(t, second.Close(ctx))
	last := slices.DeleteFunc(rest, func(tr *Trunk) bool { return tr == second })
	waitSoleRegistrar(t, last, 20*time.Second)
	t.Logf("takeover after a clean shutdown of the holder: %v", time.Since(start))
	if took := time.Since(start); took > ttl/3+2*time.Second {
		t.Errorf("takeover after a clean shutdown took %v, want about one standby try (%v)", took, ttl/3)
	}
}

// recordCallID reads the registration record the holder left in the
// cluster and checks it names tr's contact.
func recordCallID(t *testing.T, c cluster.Cluster, tr *Trunk) string {
	t.Helper()
	data, err := c.Get(context.Background(), tr.recordKey())
	must(t, err)
	var rec regRecord
	must(t, json.Unmarshal(data, &rec))
	if rec.Contact != tr.dua.ContactHDR.Address.String() || rec.CallID == "" || rec.CSeq == 0 {
		t.Fatalf("registration record %+v does not describe %s", rec, tr.Addr())
	}
	return rec.CallID
}
