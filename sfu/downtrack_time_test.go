package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Opus payloads: a 20 ms CELT frame (TOC config 31, code 0) and a code 3
// packet of three such frames, as the mixer's listener stream sends.
var (
	opus20ms = []byte{0xf8, 1, 2}
	opus60ms = []byte{0xfb, 3, 1, 2}
)

func opusPacket(seq uint16, ts uint32, payload []byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: payload}
}

const ms = int64(time.Millisecond)

// TestDownTrackSwitchFollowsElapsedTime: a switch between two unrelated
// sources after a pause puts the new source's first packet where wall time
// says, not one fixed frame after the last.
func TestDownTrackSwitchFollowsElapsedTime(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Audio, "audio/opus", rec, nil)
	a, b := NewUpTrack("a", Audio, "audio/opus"), NewUpTrack("b", Audio, "audio/opus")
	a.Subscribe(down)
	b.Subscribe(down)
	down.SetSource(a)
	a.forwardAt(opusPacket(10, 1000, opus20ms), 0)
	a.forwardAt(opusPacket(11, 1960, opus20ms), 20*ms)
	down.SetSource(b)
	b.forwardAt(opusPacket(500, 777, opus20ms), 520*ms) // 500 ms after a's last packet
	b.forwardAt(opusPacket(501, 1737, opus20ms), 540*ms)
	want := []uint32{1000, 1960, 1960 + 500*48, 1960 + 500*48 + 960}
	for i, h := range rec.got {
		if h.Timestamp != want[i] || h.SequenceNumber != uint16(10+i) {
			t.Errorf("packet %d: seq %d ts %d, want %d %d", i, h.SequenceNumber, h.Timestamp, 10+i, want[i])
		}
	}
}

// TestDownTrackSwitchBetweenPacketSizes: a talker's own 20 ms stream and
// the listeners' 60 ms one, as separate sources (no shared timeline): the
// timestamps still advance by the media each packet carried.
func TestDownTrackSwitchBetweenPacketSizes(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Audio, "audio/opus", rec, nil)
	shared, own := NewUpTrack("shared", Audio, "audio/opus"), NewUpTrack("own", Audio, "audio/opus")
	shared.Subscribe(down)
	own.Subscribe(down)
	down.SetSource(shared)
	shared.forwardAt(opusPacket(1, 0, opus60ms), 60*ms) // frames 0–2, sent when frame 2 was done
	down.SetSource(own)
	own.forwardAt(opusPacket(1, 50000, opus20ms), 80*ms) // frame 3
	down.SetSource(shared)
	shared.forwardAt(opusPacket(2, 2880*2, opus60ms), 180*ms) // frames 6–8; 4 and 5 went nowhere
	want := []uint32{0, 3 * 960, 6 * 960}
	for i, h := range rec.got {
		if h.Timestamp != want[i] {
			t.Errorf("packet %d: ts %d, want %d (frame %d)", i, h.Timestamp, want[i], want[i]/960)
		}
	}
}

// TestDownTrackSharedTimelineKeepsOffset: a room's shared mix and a talker's
// mix-minus are stamped by the same frame count, so switching between them
// keeps the receiver's timestamps exactly on the frames.
func TestDownTrackSharedTimelineKeepsOffset(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Audio, "audio/opus", rec, nil)
	shared, own := NewUpTrack("shared", Audio, "audio/opus"), NewUpTrack("own", Audio, "audio/opus")
	shared.timeline, own.timeline = "mix", "mix"
	shared.Subscribe(down)
	own.Subscribe(down)
	down.SetSource(shared)
	shared.forwardAt(opusPacket(7, 100*960, opus60ms), 0)
	down.SetSource(own)
	own.forwardAt(opusPacket(3, 103*960, opus20ms), 20*ms)
	own.forwardAt(opusPacket(4, 104*960, opus20ms), 40*ms)
	down.SetSource(shared)
	shared.forwardAt(opusPacket(8, 105*960, opus60ms), 100*ms)
	wantTS := []uint32{100 * 960, 103 * 960, 104 * 960, 105 * 960}
	for i, h := range rec.got {
		if h.Timestamp != wantTS[i] || h.SequenceNumber != uint16(7+i) {
			t.Errorf("packet %d: seq %d ts %d, want %d %d", i, h.SequenceNumber, h.Timestamp, 7+i, wantTS[i])
		}
	}
}

// TestVideoSwitchFollowsElapsedTime: a video layer switch 100 ms after the
// last frame puts the keyframe 100 ms (9000 ticks) later, whatever the
// frame rate.
func TestVideoSwitchFollowsElapsedTime(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Video, "video/VP8", rec, nil)
	lo, hi := NewUpTrack("lo", Video, "video/VP8"), NewUpTrack("hi", Video, "video/VP8")
	lo.Subscribe(down)
	hi.Subscribe(down)
	down.SetSource(lo)
	key := []byte{0x10, 0x00}
	lo.forwardAt(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 90000}, Payload: key}, 0)
	down.SetSource(hi)
	hi.forwardAt(&rtp.Packet{Header: rtp.Header{SequenceNumber: 900, Timestamp: 12345}, Payload: key}, 100*ms)
	if len(rec.got) != 2 || rec.got[1].Timestamp != 99000 || rec.got[1].SequenceNumber != 2 {
		t.Fatalf("after the switch: %+v, want seq 2 ts 99000", rec.got)
	}
}
