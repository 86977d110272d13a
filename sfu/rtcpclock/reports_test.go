package rtcpclock

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// fakeTime is a settable wall clock.
type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeTime() *fakeTime { return &fakeTime{t: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)} }

func (f *fakeTime) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

func (f *fakeTime) advance(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

// packetRecorder keeps every RTCP packet written.
type packetRecorder struct {
	mu   sync.Mutex
	pkts []rtcp.Packet
}

func (r *packetRecorder) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pkts = append(r.pkts, pkts...)
	return 0, nil
}

func (r *packetRecorder) take() []rtcp.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pkts
	r.pkts = nil
	return p
}

func newInterceptor(t *testing.T, f interceptor.Factory) (interceptor.Interceptor, *packetRecorder) {
	t.Helper()
	i, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	rec := &packetRecorder{}
	i.BindRTCPWriter(rec)
	t.Cleanup(func() { _ = i.Close() })
	return i, rec
}

// rtpBytes marshals a packet, with the transport-wide sequence number as
// extension 5 when twccSeq >= 0.
func rtpBytes(t testing.TB, seq uint16, ts uint32, twccSeq int) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: 42}, Payload: make([]byte, 100)}
	if twccSeq >= 0 {
		ext, _ := (&rtp.TransportCCExtension{TransportSequence: uint16(twccSeq)}).Marshal()
		if err := p.SetExtension(5, ext); err != nil {
			t.Fatal(err)
		}
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// feed binds a remote stream and returns a function that delivers one
// packet through it.
func feed(t *testing.T, i interceptor.Interceptor, info *interceptor.StreamInfo) func([]byte) {
	t.Helper()
	next := make(chan []byte, 1)
	reader := i.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, <-next), a, nil
	}))
	buf := make([]byte, 1500)
	return func(p []byte) {
		next <- p
		if _, _, err := reader.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSenderReportCarriesCountsAndCurrentRTPTime(t *testing.T) {
	c, clock := manualClock(t), newFakeTime()
	sr, rec := newInterceptor(t, NewSenderReports(c, time.Second, clock.now))
	w := sr.BindLocalStream(&interceptor.StreamInfo{SSRC: 7, ClockRate: 48000},
		interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	for i, ts := range []uint32{1000, 1960, 1000} { // the last is a late retransmission
		clock.advance(20 * time.Millisecond)
		_, _ = w.Write(&rtp.Header{Timestamp: ts}, make([]byte, 50+i), nil)
	}
	clock.advance(80 * time.Millisecond) // 100 ms after the packet with ts 1960
	for range 10 {
		c.fire(clock.now())
	}
	pkts := rec.take()
	if len(pkts) != 1 {
		t.Fatalf("wrote %d packets in one second, want one sender report", len(pkts))
	}
	got := pkts[0].(*rtcp.SenderReport)
	want := rtcp.SenderReport{SSRC: 7, NTPTime: ntpTime(clock.now()), RTPTime: 1960 + 4800, PacketCount: 3, OctetCount: 153}
	if got.SSRC != want.SSRC || got.NTPTime != want.NTPTime || got.RTPTime != want.RTPTime ||
		got.PacketCount != want.PacketCount || got.OctetCount != want.OctetCount {
		t.Fatalf("sender report %+v, want %+v", got, want)
	}
	if secs := got.NTPTime>>32 - 2208988800; secs != uint64(clock.now().Unix()) {
		t.Fatalf("NTP seconds %d, want Unix %d + 70 years", secs, clock.now().Unix())
	}
}

func TestReceiverReportCountsLossJitterAndSenderReportDelay(t *testing.T) {
	c, clock := manualClock(t), newFakeTime()
	rr, rec := newInterceptor(t, NewReceiverReports(c, time.Second, clock.now))
	deliver := feed(t, rr, &interceptor.StreamInfo{SSRC: 42, ClockRate: 90000})
	for i, seq := range []uint16{65533, 65534, 65535, 0, 1} { // across the wrap
		clock.advance(10 * time.Millisecond)
		if seq != 65535 { // lost
			deliver(rtpBytes(t, seq, uint32(i)*900, -1)) // 10 ms of 90 kHz per packet: no jitter
		}
	}
	srIn := rr.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		out, _ := (&rtcp.SenderReport{SSRC: 42, NTPTime: 0x1122334455667788}).Marshal()
		return copy(b, out), a, nil
	}))
	if _, _, err := srIn.Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	clock.advance(500 * time.Millisecond)
	block := receiverBlock(t, c, rec, clock)
	if block.LastSequenceNumber != 1<<16|1 || block.TotalLost != 1 || block.FractionLost != 256/5 {
		t.Fatalf("report %+v, want highest 65537, 1 lost, fraction 51/256", block)
	}
	if block.Jitter != 0 || block.LastSenderReport != 0x33445566 || block.Delay != 32768 {
		t.Fatalf("report %+v, want jitter 0, LSR 0x33445566, DLSR 0.5 s", block)
	}
	for seq := uint16(2); seq < 12; seq++ { // no loss, arrivals 0/20 ms apart
		clock.advance(time.Duration(seq%2) * 20 * time.Millisecond)
		deliver(rtpBytes(t, seq, uint32(seq+3)*900, -1))
	}
	block = receiverBlock(t, c, rec, clock)
	if block.FractionLost != 0 || block.TotalLost != 1 || block.Jitter == 0 {
		t.Fatalf("second report %+v, want no new loss, 1 lost in all, some jitter", block)
	}
}

func receiverBlock(t *testing.T, c *Clock, rec *packetRecorder, clock *fakeTime) rtcp.ReceptionReport {
	t.Helper()
	for range 10 {
		c.fire(clock.now())
	}
	pkts := rec.take()
	if len(pkts) != 1 || len(pkts[0].(*rtcp.ReceiverReport).Reports) != 1 {
		t.Fatalf("wrote %v in one second, want one receiver report with one block", pkts)
	}
	return pkts[0].(*rtcp.ReceiverReport).Reports[0]
}

// An interceptor runs on the clock only while it has a stream to report
// on, and a closed one writes nothing (ported from the NACK generator's
// test when that interceptor was removed).
func TestReportJobFollowsItsStreams(t *testing.T) {
	c := manualClock(t)
	rr, rec := newInterceptor(t, NewReceiverReports(c, 100*time.Millisecond, nil))
	if c.fire(time.Now()) {
		t.Fatal("a leg without streams already has a clock job")
	}
	deliver := feed(t, rr, &interceptor.StreamInfo{SSRC: 5555, ClockRate: 90000})
	deliver(rtpBytes(t, 1, 0, -1))
	rr.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 5555})
	if c.fire(time.Now()) {
		t.Fatal("clock job left after the last stream was unbound")
	}
	deliver = feed(t, rr, &interceptor.StreamInfo{SSRC: 6666, ClockRate: 90000})
	deliver(rtpBytes(t, 1, 0, -1))
	_ = rr.Close()
	c.fire(time.Now())
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("closed interceptor wrote %v", got)
	}
}
