//go:build linux

package sfu

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// tickRig is one server-made audio track (as a room's mix or the music on
// hold is) with a tick batch, followed by the audio down tracks of
// connected fake browsers.
type tickRig struct {
	up     *UpTrack
	egress *readBatch
	pkt    rtp.Packet
}

func newTickRig(legs []*WebRTCLeg) *tickRig {
	r := &tickRig{up: NewUpTrack("mix-test", Audio, opusCodec.MimeType), egress: newTickBatch()}
	r.up.batch = r.egress
	for _, l := range legs {
		d := firstDown(l, Audio)
		d.SetSource(r.up)
		r.up.Subscribe(d)
	}
	r.pkt = rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: opusPayloadType},
		Payload: make([]byte, 60)}
	return r
}

// forward has the track forward one packet carrying marker.
func (r *tickRig) forward(marker byte) {
	r.pkt.SequenceNumber++
	r.pkt.Timestamp += 960
	r.pkt.Payload[0] = marker
	r.up.Forward(&r.pkt)
}

// TestTickBatchSendsWhatATickQueued: a packet a tick forwards to connected
// browsers is queued, not sent, until the tick's flush; then every browser
// receives it.
func TestTickBatchSendsWhatATickQueued(t *testing.T) {
	api := testMediaAPI(t)
	c1, l1 := newClientLeg(t, api, "1001", false)
	c2, l2 := newClientLeg(t, api, "1002", false)
	r := newTickRig([]*WebRTCLeg{l1, l2})
	eventually(t, 5*time.Second, "the browsers to know the server's audio SSRC", func() bool {
		return firstDown(l1, Audio).out.(*legWriter).known.Load() && firstDown(l2, Audio).out.(*legWriter).known.Load()
	})
	const marker = 0x5a
	r.forward(marker)
	if len(r.egress.ticks) != 1 || r.egress.ticks[0].b.Len() != 2 {
		t.Fatalf("after one forward to two browsers the tick batch holds %+v, want one engine batch of 2", r.egress.ticks)
	}
	time.Sleep(100 * time.Millisecond) // nothing may arrive before the flush
	if c1.Received(marker)+c2.Received(marker) != 0 {
		t.Fatal("a browser received the tick's packet before the batch was sent")
	}
	for range 10 {
		r.egress.flush(testLogger())
		r.forward(marker)
	}
	r.egress.flush(testLogger())
	eventually(t, 5*time.Second, "both browsers to receive the tick's packets", func() bool {
		return c1.Received(marker) >= 5 && c2.Received(marker) >= 5
	})
}

// BenchmarkTickEgress is one mixed packet to 20 connected browsers:
// "batched" seals it into the tick batch and sends one sendmmsg, "sendto"
// is the path before, one system call per browser. ns/op ÷ 20 is the cost
// per listener and tick. allocs/op counts the fake browsers receiving in
// this process too; TestTickEgressDoesNotAllocate counts the server's.
// The browsers' CPU is in ns/op too; cpu-ns/op is the forwarding
// thread's alone (user and system time), the figure to compare.
func BenchmarkTickEgress(b *testing.B) {
	api, err := NewMediaAPI(testMediaConfig(), nil, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	var legs []*WebRTCLeg
	for range 20 {
		_, l := newClientLeg(b, api, "1001", false)
		legs = append(legs, l)
	}
	r := newTickRig(legs)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if firstDown(legs[len(legs)-1], Audio).out.(*legWriter).known.Load() {
			break
		}
	}
	for _, batched := range []bool{true, false} {
		name := map[bool]string{true: "batched", false: "sendto"}[batched]
		b.Run(name, func(b *testing.B) {
			r.up.batch = nil
			if batched {
				r.up.batch = r.egress
			}
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU()
			for b.Loop() {
				r.forward(1)
				r.egress.flush(api.log)
			}
			b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestTickEgressDoesNotAllocate: forwarding a tick's packet to connected
// browsers and sending the batch allocates nothing on the server. The fake
// browsers live in this process and allocate as they receive, so the
// count is taken from the allocation profile: allocations whose stack
// passes through the server's forward or flush.
func TestTickEgressDoesNotAllocate(t *testing.T) {
	api := testMediaAPI(t)
	var legs []*WebRTCLeg
	for _, n := range []string{"1001", "1002", "1003"} {
		_, l := newClientLeg(t, api, n, false)
		legs = append(legs, l)
	}
	r := newTickRig(legs)
	eventually(t, 5*time.Second, "the browsers to know the server's audio SSRC", func() bool {
		for _, l := range legs {
			if !firstDown(l, Audio).out.(*legWriter).known.Load() {
				return false
			}
		}
		return true
	})
	step := func() {
		r.forward(1)
		r.egress.flush(api.log)
	}
	step() // the first tick makes the engine batch
	if n := allocsThrough(200, step, "xphone/sfu.(*UpTrack).Forward", "xphone/sfu.(*readBatch).flush"); n != 0 {
		t.Fatalf("%d allocations in 200 ticks to 3 browsers, want 0", n)
	}
}

// allocsThrough runs f runs times and counts the allocations made with
// one of funcs on the stack, profiling every allocation meanwhile.
func allocsThrough(runs int, f func(), funcs ...string) int64 {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	before := matchingAllocs(funcs)
	for range runs {
		f()
	}
	return matchingAllocs(funcs) - before
}

// matchingAllocs is the profile's count of allocations so far whose stack
// holds one of funcs; two GCs publish the latest cycle's records.
func matchingAllocs(funcs []string) int64 {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	var total int64
	for _, rec := range recs {
		frames := runtime.CallersFrames(rec.Stack())
		for {
			fr, more := frames.Next()
			if slices.Contains(funcs, fr.Function) {
				total += rec.AllocObjects
				break
			}
			if !more {
				break
			}
		}
	}
	return total
}

// threadCPU is the calling thread's user and system CPU time in ns; the
// caller locks its goroutine to the thread.
func threadCPU() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
