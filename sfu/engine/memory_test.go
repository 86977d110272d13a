package engine

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
)

// BenchmarkPeerMemory reports the heap an established peer keeps in the
// engine: its Peer, DTLS adapter, SRTP contexts with one stream's state
// each way, and its address map entry. (The DTLS handshake state is
// discarded after the handshake, and no goroutine remains per peer.)
func BenchmarkPeerMemory(b *testing.B) {
	const n = 1000
	e := newTestEngine(b)
	h := &countHandler{}
	var before, after runtime.MemStats
	for range b.N {
		peers := make([]*Peer, n)
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range peers {
			p, err := e.newPeer(PeerConfig{RemoteFingerprint: testFP, Handler: h})
			if err != nil {
				b.Fatal(err)
			}
			p.ctx, p.cancel = context.WithCancel(e.ctx)
			e.mu.Lock()
			e.byUfrag[p.Local().Ufrag] = p
			e.mu.Unlock()
			installKeys(b, p, true)
			establish(b, e, p, uint16(1+i))
			peers[i] = p
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/peer")
		runtime.KeepAlive(peers)
		e.mu.Lock()
		for _, p := range peers {
			p.cancel()
			delete(e.byUfrag, p.Local().Ufrag)
		}
		e.mu.Unlock()
		e.byAddr.Store(&map[netip.AddrPort]*Peer{})
	}
}

// establish binds p as a check would and runs one packet each way through
// its SRTP contexts, so they hold their per-SSRC state.
func establish(b *testing.B, e *Engine, p *Peer, port uint16) {
	ap := loopback(port)
	e.mu.Lock()
	e.rebindLocked(p, netip.AddrPort{}, ap)
	e.mu.Unlock()
	p.addr.Store(newPeerAddr(e.v4, ap, localAddr{addr: e.LocalAddr().Addr()}))
	raw, _ := videoPacket(1).Marshal()
	k := p.keys.Load()
	if _, err := k.local.EncryptRTP(nil, raw, nil); err != nil {
		b.Fatal(err)
	}
	in, _ := mustContext(b, keyC2E, saltC2E).EncryptRTP(nil, raw, nil)
	if _, err := k.remote.DecryptRTP(in, in, nil); err != nil {
		b.Fatal(err)
	}
}
