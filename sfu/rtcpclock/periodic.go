package rtcpclock

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// periodic is what every clock-driven interceptor shares: the leg's RTCP
// writer, its streams (state S per SSRC), and a clock job that exists only
// while there are streams to report on, so an idle leg costs the clock
// nothing. It provides the interceptor's writer binding, stream unbinding
// and Close.
type periodic[S any] struct {
	interceptor.NoOp
	clock *Clock
	every time.Duration
	build func(now time.Time) []rtcp.Packet // the packets due; nil: none

	mu      sync.Mutex
	writer  interceptor.RTCPWriter
	streams map[uint32]S
	cancel  func()
	closed  bool
}

func newPeriodic[S any](s schedule) periodic[S] {
	return periodic[S]{clock: s.clock, every: s.interval, streams: map[uint32]S{}}
}

// schedule is what each interceptor factory holds: when its interceptors
// report, and the wall clock they read.
type schedule struct {
	clock    *Clock
	interval time.Duration
	now      func() time.Time
}

func newSchedule(clock *Clock, interval time.Duration, now func() time.Time) schedule {
	if now == nil {
		now = time.Now
	}
	return schedule{clock: clock, interval: interval, now: now}
}

// BindRTCPWriter keeps the leg's RTCP writer for the reports.
func (p *periodic[S]) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	p.mu.Lock()
	p.writer = w
	p.mu.Unlock()
	return w
}

// addStream adds a stream and starts the job with the first; false once
// the interceptor is closed.
func (p *periodic[S]) addStream(ssrc uint32, s S) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.streams[ssrc] = s
	if p.cancel == nil {
		p.cancel = p.clock.Every(p.every, p.tick)
	}
	return true
}

// stream is the state of ssrc, if it is one of ours.
func (p *periodic[S]) stream(ssrc uint32) (S, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.streams[ssrc]
	return s, ok
}

// each calls f for every stream, with the streams locked.
func (p *periodic[S]) each(f func(ssrc uint32, s S)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ssrc, s := range p.streams {
		f(ssrc, s)
	}
}

// removeStream drops a stream and stops the job with the last.
func (p *periodic[S]) removeStream(ssrc uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.streams, ssrc)
	if len(p.streams) == 0 && p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// UnbindRemoteStream drops a received stream.
func (p *periodic[S]) UnbindRemoteStream(info *interceptor.StreamInfo) { p.removeStream(info.SSRC) }

// UnbindLocalStream drops a sent stream.
func (p *periodic[S]) UnbindLocalStream(info *interceptor.StreamInfo) { p.removeStream(info.SSRC) }

// Close stops the reports for good.
func (p *periodic[S]) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	return nil
}

// tick builds what is due and writes it as one compound packet, outside
// the lock.
func (p *periodic[S]) tick(now time.Time) {
	p.mu.Lock()
	w, closed := p.writer, p.closed
	p.mu.Unlock()
	if closed || w == nil {
		return
	}
	if pkts := p.build(now); len(pkts) > 0 {
		_, _ = w.Write(pkts, interceptor.Attributes{})
	}
}
