package e2e

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// balancer is "three nodes behind one DNS name" of docs/cluster.md: a TCP
// load balancer passing TLS through. Each new connection goes to the
// preferred node when it accepts, else to the next node that does (a
// killed node refuses at once), and stays there for its life, so a
// WebSocket keeps its node as with any TCP balancer. The test sets the
// preferred node to home each user where it wants before the login.
type balancer struct {
	ln       net.Listener
	backends []string
	prefer   atomic.Int32

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startBalancer listens on 127.0.0.1 and forwards to backends until the
// test ends; cleanup closes every connection and waits for the copiers.
func startBalancer(t *testing.T, backends []string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

// addr is the balancer's host:port (the cluster's one address).
func (b *balancer) addr() string { return b.ln.Addr().String() }

// preferNode sends new connections to backends[i] while it accepts them.
func (b *balancer) preferNode(i int) { b.prefer.Store(int32(i)) }

func (b *balancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		if !b.track(c) {
			_ = c.Close()
			return
		}
		b.wg.Add(1)
		go b.serve(c)
	}
}

// track records c so close can end it; false once closing.
func (b *balancer) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

func (b *balancer) untrack(c net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.conns, c)
}

// serve connects c to a live node and copies both ways until either side
// closes.
func (b *balancer) serve(c net.Conn) {
	defer b.wg.Done()
	defer b.untrack(c)
	defer c.Close()
	up := b.dial()
	if up == nil {
		return
	}
	if !b.track(up) {
		_ = up.Close()
		return
	}
	defer b.untrack(up)
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Half-close is not needed by HTTP/TLS: end both directions.
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}

// dial tries the preferred node first, then the others in order.
func (b *balancer) dial() net.Conn {
	first := int(b.prefer.Load())
	for i := range b.backends {
		addr := b.backends[(first+i)%len(b.backends)]
		if up, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
			return up
		}
	}
	return nil
}

// close stops accepting, ends every connection and waits for the copiers.
func (b *balancer) close() {
	_ = b.ln.Close()
	b.mu.Lock()
	conns := b.conns
	b.conns = nil
	b.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	b.wg.Wait()
}
