package sfu

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// wire is an rtpWriter keeping what a viewer would receive: headers and
// payload copies.
type wire struct{ got []rtp.Packet }

func (w *wire) WriteRTP(p *rtp.Packet) error {
	c := rtp.Packet{Header: p.Header, Payload: bytes.Clone(p.Payload)}
	c.Extensions = nil
	w.got = append(w.got, c)
	return nil
}

// clear forgets what was received so far, so a test sees only what a NACK
// brought.
func (w *wire) clear() { w.got = nil }

// videoPacket is a VP8 packet of source seq/ts whose payload names it:
// a keyframe start or a delta packet, followed by tag.
func videoPacket(seq uint16, ts uint32, key bool, tag byte) *rtp.Packet {
	first := byte(0x01)
	if key {
		first = 0x00
	}
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts, Marker: tag%2 == 1},
		Payload: []byte{0x10, first, tag, tag, tag}}
}

// nackFor asks again for the listed sequence numbers, one pair each.
func nackFor(seqs ...uint16) *rtcp.TransportLayerNack {
	n := &rtcp.TransportLayerNack{}
	for _, s := range seqs {
		n.Nacks = append(n.Nacks, rtcp.NackPair{PacketID: s})
	}
	return n
}

// Two viewers of one camera joined at different times see different
// sequence numbers and timestamps; each one's NACK brings back the packet
// it missed under its own numbering, and nothing to the other viewer.
func TestNackResendsThePacketWithTheViewersHeader(t *testing.T) {
	cam, other := NewUpTrack("cam", Video, "video/VP8"), NewUpTrack("other", Video, "video/VP8")
	early, late := &wire{}, &wire{}
	earlyDown, lateDown := NewDownTrack(Video, "video/VP8", early, nil), NewDownTrack(Video, "video/VP8", late, nil)
	for _, d := range []*DownTrack{earlyDown, lateDown} {
		cam.Subscribe(d)
		other.Subscribe(d)
	}
	earlyDown.SetSource(cam)
	lateDown.SetSource(other) // the late viewer watched someone else first
	other.Forward(videoPacket(5000, 700000, true, 0xa0))
	lateDown.SetSource(cam)
	for i := uint16(0); i < 6; i++ {
		cam.Forward(videoPacket(100+i, 3000+uint32(i)*3000, i == 0, byte(i)))
	}
	sent := late.got[3] // the late viewer's fourth packet: cam's 102
	early.clear()
	late.clear()
	var s resendScratch
	if n := lateDown.resendLost(nackFor(sent.SequenceNumber), monoNow(), &s); n != 1 {
		t.Fatalf("resent %d packets, want 1", n)
	}
	if len(late.got) != 1 || len(early.got) != 0 {
		t.Fatalf("late viewer got %d packets, early %d; want 1 and 0", len(late.got), len(early.got))
	}
	got := late.got[0]
	if got.SequenceNumber != sent.SequenceNumber || got.Timestamp != sent.Timestamp || got.Marker != sent.Marker ||
		!bytes.Equal(got.Payload, sent.Payload) {
		t.Fatalf("resent %v %x, want %v %x as first sent", got.Header, got.Payload, sent.Header, sent.Payload)
	}
	if got.SequenceNumber == 102 {
		t.Fatal("test is vacuous: the late viewer's numbering equals the source's")
	}
	if n := earlyDown.resendLost(nackFor(102), monoNow(), &s); n != 1 || early.got[0].Payload[2] != 2 {
		t.Fatalf("early viewer's NACK for 102 resent %d packets %v", n, early.got)
	}
}

// After a switch to another layer, a NACK for a packet of the old layer
// brings nothing (it could only show as garbage in the new stream); one
// for a packet of the new layer brings that packet under the viewer's
// numbering.
func TestNackAfterLayerSwitchResendsOnlyTheNewLayer(t *testing.T) {
	low, high := NewUpTrack("low", Video, "video/VP8"), NewUpTrack("high", Video, "video/VP8")
	high.layer = 1
	w := &wire{}
	down := NewDownTrack(Video, "video/VP8", w, nil)
	low.Subscribe(down)
	high.Subscribe(down)
	down.SetSource(low)
	for i := uint16(0); i < 4; i++ {
		low.Forward(videoPacket(10+i, 90000+uint32(i)*3000, i == 0, 0x10+byte(i)))
		high.Forward(videoPacket(400+i, 123000+uint32(i)*3000, i == 0, 0x40+byte(i)))
	}
	oldSeq := w.got[1].SequenceNumber
	down.SetSource(high)
	high.Forward(videoPacket(404, 135000, false, 0x44)) // waits for a keyframe
	high.Forward(videoPacket(405, 138000, true, 0x45))
	high.Forward(videoPacket(406, 141000, false, 0x46))
	newKey := w.got[len(w.got)-2]
	w.clear()
	var s resendScratch
	if n := down.resendLost(nackFor(oldSeq), monoNow(), &s); n != 0 || len(w.got) != 0 {
		t.Fatalf("NACK for the old layer's packet %d resent %d packets", oldSeq, len(w.got))
	}
	if n := down.resendLost(nackFor(newKey.SequenceNumber), monoNow(), &s); n != 1 {
		t.Fatalf("NACK for the new layer's keyframe resent %d packets, want 1", n)
	}
	if got := w.got[0]; got.Payload[2] != 0x45 || got.SequenceNumber != newKey.SequenceNumber || got.Timestamp != newKey.Timestamp {
		t.Fatalf("resent %v %x, want high's 405 as %v", got.Header, got.Payload, newKey.Header)
	}
}

// Before the new layer's keyframe arrives the viewer still watches the old
// one, whose packets it may still ask for.
func TestNackDuringKeyframeWaitResendsTheOldLayer(t *testing.T) {
	low, high := NewUpTrack("low", Video, "video/VP8"), NewUpTrack("high", Video, "video/VP8")
	w := &wire{}
	down := NewDownTrack(Video, "video/VP8", w, nil)
	low.Subscribe(down)
	high.Subscribe(down)
	down.SetSource(low)
	low.Forward(videoPacket(10, 1000, true, 0x10))
	low.Forward(videoPacket(11, 4000, false, 0x11))
	down.SetSource(high)
	high.Forward(videoPacket(50, 8000, false, 0x50)) // dropped: no keyframe yet
	var s resendScratch
	if n := down.resendLost(nackFor(11), monoNow(), &s); n != 1 || w.got[len(w.got)-1].Payload[2] != 0x11 {
		t.Fatalf("NACK while waiting for the new layer resent %d packets", n)
	}
}

// A NACK for numbers the viewer was never sent, or for a packet the
// cache no longer holds, sends nothing.
func TestNackForUnknownOrOldPacketsSendsNothing(t *testing.T) {
	cam := NewUpTrack("cam", Video, "video/VP8")
	w := &wire{}
	down := NewDownTrack(Video, "video/VP8", w, nil)
	cam.Subscribe(down)
	var s resendScratch
	if n := down.resendLost(nackFor(1), monoNow(), &s); n != 0 {
		t.Fatalf("NACK before anything was sent resent %d", n)
	}
	down.SetSource(cam)
	for i := 0; i < cacheSlots+10; i++ {
		cam.Forward(videoPacket(uint16(60000+i), uint32(i)*3000, i == 0, byte(i)))
	}
	w.clear()
	first, last := uint16(60000), uint16(60000+cacheSlots+9)
	for _, seq := range []uint16{first, first + 9, last + 1, last + 1000, first - 1, 5} {
		if n := down.resendLost(nackFor(seq), monoNow(), &s); n != 0 {
			t.Fatalf("NACK for %d resent %d packets", seq, n)
		}
	}
	if n := down.resendLost(nackFor(first+10, last), monoNow(), &s); n != 2 {
		t.Fatalf("NACK for the oldest and newest cached packets resent %d, want 2", n)
	}
}

// A payload too large for a cache slot is forwarded but cannot be resent,
// and once the publisher's track has ended its cache is empty.
func TestNackForOversizeOrReleasedPacketsSendsNothing(t *testing.T) {
	cam := NewUpTrack("cam", Video, "video/VP8")
	w := &wire{}
	down := NewDownTrack(Video, "video/VP8", w, nil)
	cam.Subscribe(down)
	down.SetSource(cam)
	cam.Forward(videoPacket(1, 0, true, 1))
	big := videoPacket(2, 0, false, 2)
	big.Payload = append(big.Payload, make([]byte, cacheSlotBytes)...)
	cam.Forward(big)
	if len(w.got) != 2 {
		t.Fatalf("forwarded %d packets, want 2", len(w.got))
	}
	var s resendScratch
	if n := down.resendLost(nackFor(2), monoNow(), &s); n != 0 {
		t.Fatalf("oversize packet resent %d times", n)
	}
	cam.releaseCache()
	if n := down.resendLost(nackFor(1), monoNow(), &s); n != 0 {
		t.Fatalf("packet of an ended track resent %d times", n)
	}
}

// A hostile viewer repeating NACKs with full bitmasks gets at most its
// budget: resendBurst packets at once, resendRate a second after that;
// a viewer asking within it is served again once the budget refills.
func TestHostileNacksCostBoundedWork(t *testing.T) {
	cam := NewUpTrack("cam", Video, "video/VP8")
	w := &wire{}
	down := NewDownTrack(Video, "video/VP8", w, nil)
	cam.Subscribe(down)
	down.SetSource(cam)
	for i := 0; i < cacheSlots; i++ {
		cam.Forward(videoPacket(uint16(i), uint32(i)*3000, i == 0, byte(i)))
	}
	huge := &rtcp.TransportLayerNack{}
	for i := 0; i < 370; i++ { // what fits in one 1,500-byte RTCP packet
		huge.Nacks = append(huge.Nacks, rtcp.NackPair{PacketID: uint16(i * 17 % cacheSlots), LostPackets: 0xffff})
	}
	w.clear()
	var s resendScratch
	now := monoNow()
	total := 0
	for range 1000 {
		total += down.resendLost(huge, now, &s)
	}
	if total != resendBurst {
		t.Fatalf("1000 huge NACKs at once resent %d packets, want the burst of %d", total, resendBurst)
	}
	total = 0
	for i := range 1000 { // one second of them
		total += down.resendLost(huge, now+int64(i+1)*int64(time.Millisecond), &s)
	}
	if total > resendRate+1 || total < resendRate-1 {
		t.Fatalf("a second of huge NACKs resent %d packets, want ≈ %d", total, resendRate)
	}
	if n := down.resendLost(nackFor(7), now+int64(3*time.Second), &s); n != 1 {
		t.Fatalf("an ordinary NACK after the flood resent %d, want 1", n)
	}
}

// BenchmarkCacheStoreResend is what a video packet costs with the cache:
// forwarded to one viewer (and stored in its layer's cache on the way),
// then resent to that viewer, which NACKs it.
func BenchmarkCacheStoreResend(b *testing.B) {
	cam := NewUpTrack("cam", Video, "video/VP8")
	down := NewDownTrack(Video, "video/VP8", discard{}, nil)
	cam.Subscribe(down)
	down.SetSource(cam)
	p := videoPacket(0, 0, true, 1)
	p.Payload = append(p.Payload, make([]byte, 1100)...)
	cam.Forward(p)
	p.Payload[1] = 0x01
	nack := nackFor(0)
	var s resendScratch
	now := monoNow()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SequenceNumber++
		p.Timestamp += 3000
		cam.Forward(p)
		nack.Nacks[0].PacketID = p.SequenceNumber
		now += int64(time.Second) // keeps the budget full
		if down.resendLost(nack, now, &s) != 1 {
			b.Fatal("not resent")
		}
	}
}
