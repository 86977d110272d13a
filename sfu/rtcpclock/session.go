package rtcpclock

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// SessionConfig configures one peer's RTCP. Clock is required; a zero
// interval takes the default named in its comment.
type SessionConfig struct {
	Clock          *Clock
	NackInterval   time.Duration    // NACKs and TWCC feedback; the clock's base (100 ms)
	ReportInterval time.Duration    // sender and receiver reports (1 s)
	Now            func() time.Time // nil: time.Now
	SenderSSRC     uint32           // sender SSRC of feedback packets (RR, NACK, TWCC)
	// Write gets one compound RTCP packet per tick, from the clock's
	// goroutine; it must not block, and b is valid only during the call
	// (the session reuses it).
	Write func(b []byte)
}

// Defaults for a zero SessionConfig interval.
const (
	defaultNackInterval   = 100 * time.Millisecond
	defaultReportInterval = time.Second
)

// Session is one peer's RTCP bookkeeping: every stream it sends us and we
// send it: NACKs, transport-wide feedback and the reports (what the
// ReceiverReports and SenderReports interceptors do for pion legs) for a
// packet path without pion's interceptor chain: the read loop calls Received and ReceivedRTCP, the
// writers call Sent, and one job on the shared Clock writes what is due
// through SessionConfig.Write — NACKs and TWCC feedback every NackInterval,
// sender and receiver reports every ReportInterval, as one Write per tick.
//
// Received and Sent may be called concurrently from any goroutine; they
// take only the stream's own lock and read the stream tables without one
// (the tables are replaced whole when a stream is added or removed).
type Session struct {
	now         func() time.Time
	senderSSRC  uint32
	write       func([]byte)
	reportEvery uint64 // report on every reportEvery-th tick of the job

	mu  sync.Mutex // serialises table changes
	in  atomic.Pointer[map[uint32]*inStream]
	out atomic.Pointer[map[uint32]*sendStream]

	twccID   atomic.Uint32
	arrivals *arrivals
	ignored  atomic.Uint64 // packets of SSRCs the session does not know

	tickMu  sync.Mutex // held while a tick builds and writes; Close waits on it
	closed  bool
	ticks   uint64
	scratch []uint16               // NACK sequence numbers, reused by tick
	blocks  []rtcp.ReceptionReport // receiver report blocks, reused by tick
	buf     []byte                 // the compound packet, reused by tick
	cancel  func()
}

// inStream is what the session keeps about one stream the peer sends us.
type inStream struct {
	stats recvStream
	log   *receiveLog // nil: the stream did not negotiate NACK
}

// NewSession starts a peer's RTCP on cfg.Clock. Its owner calls Close.
func NewSession(cfg SessionConfig) *Session {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	nackEvery := orDefault(cfg.NackInterval, defaultNackInterval)
	reportEvery := orDefault(cfg.ReportInterval, defaultReportInterval)
	s := &Session{
		now: cfg.Now, senderSSRC: cfg.SenderSSRC, write: cfg.Write,
		reportEvery: max(1, uint64((reportEvery+nackEvery/2)/nackEvery)),
		arrivals:    newArrivals(cfg.SenderSSRC, cfg.Now()),
	}
	s.in.Store(&map[uint32]*inStream{})
	s.out.Store(&map[uint32]*sendStream{})
	s.cancel = cfg.Clock.Every(nackEvery, s.tick)
	return s
}

// orDefault is d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Ignored is how many packets Received and Sent dropped because their SSRC
// was not added (or already removed).
func (s *Session) Ignored() uint64 { return s.ignored.Load() }

// Close stops the periodic writes. After it returns no Write call is
// running or starts. It must not be called from Write (it waits for it).
func (s *Session) Close() {
	s.cancel()
	s.tickMu.Lock()
	s.closed = true
	s.tickMu.Unlock()
}

// tick writes what is due: reports first (RFC 3550 compound packets begin
// with one), then NACKs and TWCC feedback.
func (s *Session) tick(time.Time) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	if s.closed {
		return
	}
	s.ticks++
	b := s.buf[:0]
	if s.ticks%s.reportEvery == 0 {
		now := s.now()
		b = s.appendSenderReports(b, now)
		b = s.appendReceiverReports(b, now)
	}
	b = s.appendNacks(b)
	b = s.arrivals.appendFeedback(b)
	if len(b) > 0 && s.write != nil {
		s.write(b)
	}
	s.buf = b[:0]
}

func (s *Session) appendSenderReports(b []byte, now time.Time) []byte {
	for ssrc, st := range *s.out.Load() {
		if sr, ok := st.report(ssrc, now); ok {
			b = appendSenderReport(b, ssrc, sr.NTPTime, sr.RTPTime, sr.PacketCount, sr.OctetCount)
		}
	}
	return b
}

// appendReceiverReports appends as many receiver reports as the blocks
// of the streams that have something to report need.
func (s *Session) appendReceiverReports(b []byte, now time.Time) []byte {
	blocks := s.blocks[:0]
	for ssrc, st := range *s.in.Load() {
		if block, ok := st.stats.report(ssrc, now); ok {
			blocks = append(blocks, block)
		}
	}
	s.blocks = blocks
	for len(blocks) > 0 {
		n := min(len(blocks), maxReportBlocks)
		b = appendReceiverReport(b, s.senderSSRC, blocks[:n])
		blocks = blocks[n:]
	}
	return b
}

// appendNacks appends a NACK for each stream that misses packets it may
// still ask for.
func (s *Session) appendNacks(b []byte) []byte {
	for ssrc, st := range *s.in.Load() {
		if st.log != nil {
			s.scratch = st.log.missing(s.scratch[:0], maxNackTries)
			b = appendNack(b, s.senderSSRC, ssrc, s.scratch)
		}
	}
	return b
}
