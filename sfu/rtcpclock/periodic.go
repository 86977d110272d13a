package rtcpclock

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// periodic is what every clock-driven interceptor shares: the leg's RTCP
// writer and a clock job that exists only while the interceptor has
// streams to report on, so an idle leg costs the clock nothing.
type periodic struct {
	clock *Clock
	every time.Duration
	build func(now time.Time) []rtcp.Packet // the packets due; nil: none

	mu      sync.Mutex
	writer  interceptor.RTCPWriter
	cancel  func()
	streams int
	closed  bool
}

func (p *periodic) bindWriter(w interceptor.RTCPWriter) {
	p.mu.Lock()
	p.writer = w
	p.mu.Unlock()
}

// addStream counts a stream in and starts the job with the first; false
// once the interceptor is closed.
func (p *periodic) addStream() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.streams++
	if p.cancel == nil {
		p.cancel = p.clock.Every(p.every, p.tick)
	}
	return true
}

// removeStream counts a stream out and stops the job with the last.
func (p *periodic) removeStream() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.streams > 0 {
		p.streams--
	}
	if p.streams == 0 {
		p.stopLocked()
	}
}

func (p *periodic) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.stopLocked()
}

func (p *periodic) stopLocked() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// tick builds what is due and writes it as one compound packet, outside
// the lock.
func (p *periodic) tick(now time.Time) {
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
