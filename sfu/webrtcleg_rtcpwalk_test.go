package sfu

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pion/rtcp"
)

// rtcpLog records what walkRTCP hands on, as text.
type rtcpLog struct{ items []string }

func (l *rtcpLog) add(format string, a ...any) { l.items = append(l.items, fmt.Sprintf(format, a...)) }
func (l *rtcpLog) senderReport(ssrc uint32, ntp uint64) {
	l.add("sr %d %d", ssrc, ntp)
}
func (l *rtcpLog) lossReport(ssrc uint32, frac uint8) { l.add("loss %d %d", ssrc, frac) }
func (l *rtcpLog) nack(n *rtcp.TransportLayerNack) {
	l.add("nack %d %v", n.MediaSSRC, n.Nacks)
}
func (l *rtcpLog) keyframe(ssrc uint32)           { l.add("keyframe %d", ssrc) }
func (l *rtcpLog) remb(bitrate float32)           { l.add("remb %v", bitrate) }
func (l *rtcpLog) twcc(fb *rtcp.TransportLayerCC) { l.add("%s", twccText(fb)) }

// twccText is everything the bandwidth estimator reads of a feedback.
func twccText(fb *rtcp.TransportLayerCC) string {
	var b strings.Builder
	fmt.Fprintf(&b, "twcc %d base=%d count=%d ref=%d fb=%d", fb.MediaSSRC, fb.BaseSequenceNumber,
		fb.PacketStatusCount, fb.ReferenceTime, fb.FbPktCount)
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			fmt.Fprintf(&b, " run(%d×%d)", c.PacketStatusSymbol, c.RunLength)
		case *rtcp.StatusVectorChunk:
			fmt.Fprintf(&b, " vec(%d:%v)", c.SymbolSize, c.SymbolList)
		}
	}
	for _, d := range fb.RecvDeltas {
		fmt.Fprintf(&b, " d%d:%d", d.Type, d.Delta)
	}
	return b.String()
}

// pionItems is what the server used of pion's parse of the same bytes,
// before walkRTCP.
func pionItems(pkts []rtcp.Packet) []string {
	l := &rtcpLog{}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			l.senderReport(p.SSRC, p.NTPTime)
			for _, r := range p.Reports {
				l.lossReport(r.SSRC, r.FractionLost)
			}
		case *rtcp.ReceiverReport:
			for _, r := range p.Reports {
				l.lossReport(r.SSRC, r.FractionLost)
			}
		case *rtcp.TransportLayerNack:
			l.nack(p)
		case *rtcp.PictureLossIndication:
			l.keyframe(p.MediaSSRC)
		case *rtcp.FullIntraRequest:
			for _, e := range p.FIR {
				l.keyframe(e.SSRC)
			}
			l.keyframe(p.MediaSSRC)
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			l.remb(p.Bitrate)
		case *rtcp.TransportLayerCC:
			l.twcc(p)
		}
	}
	return l.items
}

// chromeREMB is a REMB Chromium sent watching a 6 Mb/s stream (from
// pion/rtcp's tests): 8,927,168 bits/s.
var chromeREMB = []byte{143, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 82, 69, 77, 66, 1, 26, 32, 223, 72, 116, 237, 22}

// browserTWCC is transport-wide feedback as Chromium writes it: 19
// packets from 153 in a run of five received, a two-bit vector (one lost,
// one large delta) and a one-bit vector, then the deltas, padded.
var browserTWCC = []byte{0xaf, 0xcd, 0x00, 0x0a, 0, 0, 0, 1, 0, 0, 0x22, 0x22,
	0x00, 0x99, 0x00, 0x13, 0x3d, 0xe8, 0x02, 0x17,
	0x20, 0x05, 0xd2, 0x51, 0xb7, 0x80,
	4, 4, 4, 4, 4, 8, 0xff, 0x38, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1}

// browserLikeRTCP are compounds shaped as browsers send them: a receiver
// report with SDES, then feedback.
func browserLikeRTCP(tb testing.TB) [][]byte {
	tb.Helper()
	rr := &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{
		{SSRC: 0x1111, FractionLost: 12, TotalLost: 3, LastSequenceNumber: 500, Jitter: 40},
		{SSRC: 0x2222, FractionLost: 0, LastSequenceNumber: 9000}}}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 1,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "x4Yz0PQnW2aM"}}}}}
	var out [][]byte
	for _, c := range [][]rtcp.Packet{
		{rr, sdes},
		{rr, sdes, &rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 0x2222,
			Nacks: []rtcp.NackPair{{PacketID: 700, LostPackets: 0b101}, {PacketID: 740}}}},
		{rr, &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 0x2222}},
		{rr, &rtcp.FullIntraRequest{SenderSSRC: 1, FIR: []rtcp.FIREntry{{SSRC: 0x2222, SequenceNumber: 4}}}},
		{&rtcp.SenderReport{SSRC: 9, NTPTime: 0xe1a2b3c4d5e6f708, RTPTime: 5, PacketCount: 10, OctetCount: 900,
			Reports: []rtcp.ReceptionReport{{SSRC: 0x1111, FractionLost: 200}}}, sdes},
		{rr, &rtcp.Goodbye{Sources: []uint32{1}, Reason: "bye"}},
	} {
		b, err := rtcp.Marshal(c)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return append(out, slices.Concat(out[0], chromeREMB), slices.Concat(out[0], browserTWCC))
}

// TestWalkRTCPReadsWhatPionReads: for browser-shaped compounds the hand
// walk hands on exactly what pion's parse gave the server before.
func TestWalkRTCPReadsWhatPionReads(t *testing.T) {
	for _, b := range browserLikeRTCP(t) {
		checkAgainstPion(t, b, true)
	}
	l := &rtcpLog{}
	if err := walkRTCP(chromeREMB, &rtcpScratch{}, l); err != nil || len(l.items) != 1 || l.items[0] != "remb 8.927168e+06" {
		t.Fatalf("Chromium's REMB read as %q (%v), want 8927168 bits/s", l.items, err)
	}
}

// checkAgainstPion compares walkRTCP with pion's parse of b, where pion
// accepts it; must says pion has to accept it.
func checkAgainstPion(t *testing.T, b []byte, must bool) {
	t.Helper()
	pkts, perr := rtcp.Unmarshal(b)
	l := &rtcpLog{}
	err := walkRTCP(b, &rtcpScratch{}, l)
	if perr != nil {
		if must {
			t.Fatalf("pion refuses the seed % x: %v", b, perr)
		}
		return
	}
	if err != nil {
		t.Fatalf("walk refuses % x, which pion reads: %v", b, err)
	}
	want := pionItems(pkts)
	if len(want) != len(l.items) {
		t.Fatalf("walk of % x gave\n%q\npion gave\n%q", b, l.items, want)
	}
	for i := range want {
		// pion reads a REMB mantissa of 0 as 2^(exp+23) bits/s; it is 0.
		if want[i] != l.items[i] && !(l.items[i] == "remb 0" && strings.HasPrefix(want[i], "remb ")) {
			t.Fatalf("walk of % x gave\n%q\npion gave\n%q", b, l.items, want)
		}
	}
}

// FuzzWalkRTCP: on any input the walk does not panic, and on input pion
// reads it hands on what pion read.
func FuzzWalkRTCP(f *testing.F) {
	for _, b := range browserLikeRTCP(f) {
		f.Add(b)
	}
	f.Add(chromeREMB)
	f.Fuzz(func(t *testing.T, b []byte) { checkAgainstPion(t, b, false) })
}

type noRTCP struct{}

func (noRTCP) senderReport(uint32, uint64)   {}
func (noRTCP) lossReport(uint32, uint8)      {}
func (noRTCP) nack(*rtcp.TransportLayerNack) {}
func (noRTCP) keyframe(uint32)               {}
func (noRTCP) remb(float32)                  {}
func (noRTCP) twcc(*rtcp.TransportLayerCC)   {}

// TestWalkRTCPDoesNotAllocate: once the scratch has seen the packets,
// reading them again allocates nothing.
func TestWalkRTCPDoesNotAllocate(t *testing.T) {
	pkts := browserLikeRTCP(t)
	s := &rtcpScratch{}
	walk := func() {
		for _, b := range pkts {
			_ = walkRTCP(b, s, noRTCP{})
		}
	}
	walk()
	if n := testing.AllocsPerRun(100, walk); n != 0 {
		t.Fatalf("%.1f allocations reading %d browser compounds, want 0", n, len(pkts))
	}
}

// BenchmarkBrowserRTCP reads the browser-shaped compounds: "pion" as
// OnRTCP did before (rtcp.Unmarshal), "walk" by hand. Per op, all of them.
func BenchmarkBrowserRTCP(b *testing.B) {
	pkts := browserLikeRTCP(b)
	b.Run("pion", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pkts {
				_, _ = rtcp.Unmarshal(p)
			}
		}
	})
	b.Run("walk", func(b *testing.B) {
		s := &rtcpScratch{}
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pkts {
				_ = walkRTCP(p, s, noRTCP{})
			}
		}
	})
}
