package rtcpclock

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// After Close nothing is written, and the session's clock job is gone.
func TestSessionCloseStopsWrites(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(1, 90000, true)
	r.receive(t, 1, 1, 3)
	r.s.Close()
	if w := r.ticks(10); len(w) != 0 {
		t.Fatalf("closed session wrote %v", w)
	}
	if r.c.fire(r.clock.now()) {
		t.Fatal("closed session left a job on the clock")
	}
}

// Close waits for a Write under way: once it returns, the owner may free
// what Write uses.
func TestSessionCloseWaitsForARunningWrite(t *testing.T) {
	c := manualClock(t)
	entered, release := make(chan struct{}), make(chan struct{})
	s := NewSession(SessionConfig{Clock: c, Write: func([]byte) {
		close(entered)
		<-release
	}})
	s.AddIncoming(1, 90000, true)
	s.Received(1, rtpBytes(t, 1, 0, -1), time.Now())
	s.Received(1, rtpBytes(t, 3, 0, -1), time.Now())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.fire(time.Now()) }()
	<-entered
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while Write was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-closed
	wg.Wait()
}

// Received and Sent run on the read loop and the forwarders while streams
// come and go and the clock ticks; -race checks the locking.
func TestSessionConcurrentUse(t *testing.T) {
	r := newSessionRig(t)
	r.s.SetTWCCExtension(5)
	r.s.AddIncoming(42, 90000, true)
	r.s.AddOutgoing(7, 90000)
	var wg sync.WaitGroup
	pkts := make([][]byte, 200)
	for i := range pkts {
		pkts[i] = rtpBytes(t, uint16(i*2), uint32(i)*3000, i)
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		for _, p := range pkts {
			r.s.Received(42, p, time.Now())
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 200 {
			r.s.Sent(7, uint32(i)*3000, 1000, time.Now())
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 50 {
			r.s.AddOutgoing(uint32(100+i), 48000)
			r.s.RemoveIncoming(uint32(100 + i))
			r.c.fire(time.Now())
		}
	}()
	wg.Wait()
	var nacks, feedback int
	for _, w := range r.ticks(10) {
		for _, p := range w {
			switch p.(type) {
			case *rtcp.TransportLayerNack:
				nacks++
			case *rtcp.TransportLayerCC:
				feedback++
			}
		}
	}
	if nacks == 0 || feedback == 0 {
		t.Fatalf("%d NACKs and %d TWCC feedbacks after 200 packets with every other one lost, want some of each", nacks, feedback)
	}
}
