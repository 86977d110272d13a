package cluster

import (
	"context"
	"strconv"
	"testing"
	"time"

	"xphone/cluster/clustertest"
)

// benchNodes are two nodes of one backend; "b" answers "echo".
func benchNodes(b *testing.B, redis bool) (Cluster, Cluster) {
	b.Helper()
	var join func(id string) Cluster
	if redis {
		srv := clustertest.StartRedis(b)
		join = func(id string) Cluster {
			n, err := NewRedis(RedisOptions{NodeID: id, Addrs: []string{srv.Addr()}, TTL: 3 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = n.Close() })
			return n
		}
	} else {
		hub := NewHub(nil)
		join = func(id string) Cluster {
			n, err := hub.Node(id, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = n.Close() })
			return n
		}
	}
	a, nb := join("a"), join("b")
	nb.Handle("echo", func(_ context.Context, _ string, body []byte) ([]byte, error) { return body, nil })
	return a, nb
}

// BenchmarkBusRoundTrip is one request/reply to another node (docs/cluster.md).
func BenchmarkBusRoundTrip(b *testing.B) {
	for _, redis := range []bool{false, true} {
		b.Run(map[bool]string{false: "memory", true: "redis"}[redis], func(b *testing.B) {
			a, _ := benchNodes(b, redis)
			ctx := context.Background()
			body := []byte(`{"ext":"201","call":"c1"}`)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Call(ctx, "b", "echo", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtensionLookup is one directory lookup among 1000 extensions.
func BenchmarkExtensionLookup(b *testing.B) {
	for _, redis := range []bool{false, true} {
		b.Run(map[bool]string{false: "memory", true: "redis"}[redis], func(b *testing.B) {
			a, nb := benchNodes(b, redis)
			ctx := context.Background()
			for i := range 1000 {
				n := []Cluster{a, nb}[i%2]
				if err := n.AddExtension(ctx, strconv.Itoa(1000+i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if nodes, err := a.ExtensionNodes(ctx, strconv.Itoa(1000+i%1000)); err != nil || len(nodes) != 1 {
					b.Fatal(nodes, err)
				}
				i++
			}
		})
	}
}
