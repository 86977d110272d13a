package rtcpclock

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestSessionSenderReportCarriesCountsAndCurrentRTPTime(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddOutgoing(7, 48000)
	r.s.AddOutgoing(8, 90000)                       // never sends: no report
	for i, ts := range []uint32{1000, 1960, 1000} { // the last is a late retransmission
		r.clock.advance(20 * time.Millisecond)
		r.s.Sent(7, ts, 50+i, r.clock.now())
	}
	r.s.Sent(9, 1, 1, r.clock.now())       // unknown
	r.clock.advance(80 * time.Millisecond) // 100 ms after the packet with ts 1960
	if w := r.ticks(9); len(w) != 0 {
		t.Fatalf("wrote %v before the report interval", w)
	}
	w := r.ticks(1)
	if len(w) != 1 || len(w[0]) != 1 {
		t.Fatalf("wrote %v in one second, want one sender report", w)
	}
	got := w[0][0].(*rtcp.SenderReport)
	want := rtcp.SenderReport{SSRC: 7, NTPTime: ntpTime(r.clock.now()), RTPTime: 1960 + 4800, PacketCount: 3, OctetCount: 153}
	if got.SSRC != want.SSRC || got.NTPTime != want.NTPTime || got.RTPTime != want.RTPTime ||
		got.PacketCount != want.PacketCount || got.OctetCount != want.OctetCount {
		t.Fatalf("sender report %+v, want %+v", got, want)
	}
	r.s.RemoveOutgoing(7)
	if w := r.ticks(10); len(w) != 0 || r.s.Ignored() != 1 {
		t.Fatalf("wrote %v after the stream was removed (ignored %d)", w, r.s.Ignored())
	}
}

func TestSessionReceiverReportCountsLossJitterAndSenderReportDelay(t *testing.T) {
	r := newSessionRig(t)
	r.s.AddIncoming(42, 90000, false)
	for i, seq := range []uint16{65533, 65534, 65535, 0, 1} { // across the wrap
		r.clock.advance(10 * time.Millisecond)
		if seq != 65535 { // lost
			r.s.Received(42, rtpBytes(t, seq, uint32(i)*900, -1), r.clock.now()) // no jitter
		}
	}
	r.s.ReceivedRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{},
		&rtcp.SenderReport{SSRC: 42, NTPTime: 0x1122334455667788}, &rtcp.SenderReport{SSRC: 43}}, r.clock.now())
	r.clock.advance(500 * time.Millisecond)
	block := sessionReceiverBlock(t, r)
	if block.SSRC != 42 || block.LastSequenceNumber != 1<<16|1 || block.TotalLost != 1 || block.FractionLost != 256/5 {
		t.Fatalf("report %+v, want SSRC 42, highest 65537, 1 lost, fraction 51/256", block)
	}
	if block.Jitter != 0 || block.LastSenderReport != 0x33445566 || block.Delay != 32768 {
		t.Fatalf("report %+v, want jitter 0, LSR 0x33445566, DLSR 0.5 s", block)
	}
	for seq := uint16(2); seq < 12; seq++ { // no loss, arrivals 0/20 ms apart
		r.clock.advance(time.Duration(seq%2) * 20 * time.Millisecond)
		r.s.Received(42, rtpBytes(t, seq, uint32(seq+3)*900, -1), r.clock.now())
	}
	block = sessionReceiverBlock(t, r)
	if block.FractionLost != 0 || block.TotalLost != 1 || block.Jitter == 0 {
		t.Fatalf("second report %+v, want no new loss, 1 lost in all, some jitter", block)
	}
}

func sessionReceiverBlock(t *testing.T, r *sessionRig) rtcp.ReceptionReport {
	t.Helper()
	w := r.ticks(10)
	if len(w) != 1 || len(w[0]) != 1 {
		t.Fatalf("wrote %v in one second, want one receiver report", w)
	}
	rr := w[0][0].(*rtcp.ReceiverReport)
	if rr.SSRC != 0xfeed || len(rr.Reports) != 1 {
		t.Fatalf("receiver report %+v, want from 0xfeed with one block", rr)
	}
	return rr.Reports[0]
}

// Reports and feedback due on the same tick go out in one Write, reports
// first, and more than 31 streams need more than one receiver report.
func TestSessionWritesOneCompoundPerTick(t *testing.T) {
	r := newSessionRig(t)
	for ssrc := uint32(1); ssrc <= 40; ssrc++ {
		r.s.AddIncoming(ssrc, 90000, true)
		r.receive(t, ssrc, 1, 3)
	}
	r.s.AddOutgoing(100, 48000)
	r.s.Sent(100, 960, 80, r.clock.now())
	r.ticks(9) // the NACKs for 2 go out on these
	r.receive(t, 1, 5)
	w := r.ticks(1)
	if len(w) != 1 {
		t.Fatalf("%d writes on the report tick, want one", len(w))
	}
	var kinds []string
	blocks := 0
	for _, p := range w[0] {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			kinds = append(kinds, "SR")
		case *rtcp.ReceiverReport:
			kinds = append(kinds, "RR")
			blocks += len(p.Reports)
		case *rtcp.TransportLayerNack:
			kinds = append(kinds, "NACK")
		}
	}
	if want := "[SR RR RR NACK]"; fmtKinds(kinds) != want || blocks != 40 {
		t.Fatalf("report tick wrote %v with %d blocks, want %s with 40", kinds, blocks, want)
	}
}

func fmtKinds(k []string) string {
	s := "["
	for i, x := range k {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s + "]"
}
