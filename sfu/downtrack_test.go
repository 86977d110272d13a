package sfu

import (
	"testing"

	"github.com/pion/rtp"
)

// recorder is an rtpWriter keeping copies of the headers it was given.
type recorder struct{ got []rtp.Header }

func (r *recorder) WriteRTP(p *rtp.Packet) error {
	h := p.Header
	h.Extensions = nil
	r.got = append(r.got, h)
	return nil
}

func audioPacket(seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: []byte{1, 2, 3}}
}

func TestDownTrackContinuesStreamAcrossSourceSwitch(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Audio, "audio/opus", rec, nil)
	a, b := NewUpTrack("a", Audio, "audio/opus"), NewUpTrack("b", Audio, "audio/opus")
	a.Subscribe(down)
	b.Subscribe(down)
	down.SetSource(a)
	a.Forward(audioPacket(100, 5000))
	a.Forward(audioPacket(101, 5960))
	b.Forward(audioPacket(7, 90000)) // not the source: ignored
	down.SetSource(b)
	b.Forward(audioPacket(8, 90960))
	b.Forward(audioPacket(9, 91920))

	wantSeq := []uint16{100, 101, 102, 103}
	wantTS := []uint32{5000, 5960, 6920, 7880}
	if len(rec.got) != len(wantSeq) {
		t.Fatalf("forwarded %d packets, want %d", len(rec.got), len(wantSeq))
	}
	for i, h := range rec.got {
		if h.SequenceNumber != wantSeq[i] || h.Timestamp != wantTS[i] {
			t.Errorf("packet %d: seq %d ts %d, want %d %d", i, h.SequenceNumber, h.Timestamp, wantSeq[i], wantTS[i])
		}
	}
}

func TestDownTrackRestoresSharedPacket(t *testing.T) {
	down := NewDownTrack(Audio, "audio/opus", &recorder{}, nil)
	other := NewDownTrack(Audio, "audio/opus", &recorder{}, nil)
	up := NewUpTrack("a", Audio, "audio/opus")
	up.SetAudioLevelExtension(1)
	down.SetSource(NewUpTrack("x", Audio, "audio/opus"))
	down.SetSource(up) // resync with offsets only matters after a first packet
	p := audioPacket(10, 100)
	if err := p.SetExtension(1, []byte{0x85}); err != nil {
		t.Fatal(err)
	}
	up.Subscribe(down)
	up.Subscribe(other)
	other.SetSource(up)
	up.Forward(p)
	if p.SequenceNumber != 10 || p.Timestamp != 100 || !p.Extension || len(p.GetExtension(1)) != 1 {
		t.Fatalf("packet changed after forwarding: %+v", p.Header)
	}
	if up.Level() != 5 {
		t.Fatalf("level %d, want 5 from the RFC 6464 extension", up.Level())
	}
}

func TestVideoDownTrackWaitsForKeyframe(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Video, "video/VP8", rec, nil)
	up := NewUpTrack("v", Video, "video/VP8")
	asked := 0
	up.SetKeyframeFunc(func() { asked++ })
	up.Subscribe(down)
	down.SetSource(up)
	delta := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1}, Payload: []byte{0x10, 0x01}}
	key := &rtp.Packet{Header: rtp.Header{SequenceNumber: 2}, Payload: []byte{0x10, 0x00}}
	up.Forward(delta)
	if len(rec.got) != 0 || down.Dropped() != 1 {
		t.Fatalf("delta frame forwarded before a keyframe: got %d dropped %d", len(rec.got), down.Dropped())
	}
	if asked == 0 {
		t.Fatal("no keyframe requested from the new source")
	}
	up.Forward(key)
	up.Forward(delta)
	if len(rec.got) != 2 {
		t.Fatalf("forwarded %d packets after keyframe, want 2", len(rec.got))
	}
}

// A receiver's keyframe request that the source's throttle swallowed is
// asked again on the next delta frame once the throttle allows, until a
// keyframe goes out (a PBX such as Asterisk's Echo asks only once).
func TestVideoDownTrackKeepsAskingForKeyframe(t *testing.T) {
	down := NewDownTrack(Video, "video/VP8", &recorder{}, nil)
	up := NewUpTrack("v", Video, "video/VP8")
	asked := 0
	up.SetKeyframeFunc(func() { asked++ })
	up.Subscribe(down)
	down.SetSource(up) // asks at once
	delta := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1}, Payload: []byte{0x10, 0x01}}
	key := &rtp.Packet{Header: rtp.Header{SequenceNumber: 2}, Payload: []byte{0x10, 0x00}}
	up.Forward(key)
	down.RequestKeyframe() // within the throttle: swallowed
	if asked != 1 {
		t.Fatalf("%d requests, want the throttle to swallow the receiver's", asked)
	}
	up.lastKeyframe.Store(0) // the throttle interval has passed
	up.Forward(delta)
	if asked != 2 {
		t.Fatalf("%d requests after the throttle, want the pending one asked again", asked)
	}
	up.lastKeyframe.Store(0)
	up.Forward(key)
	up.lastKeyframe.Store(0)
	up.Forward(delta)
	if asked != 2 {
		t.Fatalf("%d requests, want none once a keyframe went out", asked)
	}
}

func TestIsVP8Keyframe(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"keyframe", []byte{0x10, 0x00}, true},
		{"interframe", []byte{0x10, 0x01}, false},
		{"not start", []byte{0x00, 0x00}, false},
		{"partition 1", []byte{0x11, 0x00}, false},
		{"ext with 15-bit picture id", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"ext with picture id, tl0, tid", []byte{0x90, 0xe0, 0x12, 0x01, 0x40, 0x01}, false},
		{"truncated", []byte{0x90, 0x80}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isVP8Keyframe(tt.in); got != tt.want {
				t.Fatalf("isVP8Keyframe(%x) = %v", tt.in, got)
			}
		})
	}
}

func FuzzIsVP8Keyframe(f *testing.F) {
	f.Add([]byte{0x90, 0xe0, 0x12, 0x01, 0x40, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) { isVP8Keyframe(b) })
}

type discard struct{}

func (discard) WriteRTP(*rtp.Packet) error { return nil }

// BenchmarkForward measures the per-packet step from a read loop to one
// subscriber's writer: level parsing, fan-out, header rewrite.
func BenchmarkForward(b *testing.B) {
	up := NewUpTrack("a", Audio, "audio/opus")
	up.SetAudioLevelExtension(1)
	down := NewDownTrack(Audio, "audio/opus", discard{}, nil)
	up.Subscribe(down)
	down.SetSource(up)
	p := audioPacket(1, 0)
	_ = p.SetExtension(1, []byte{0x85})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SequenceNumber++
		p.Timestamp += 960
		up.Forward(p)
	}
}

// BenchmarkUnmarshalForward includes parsing the datagram into the reused
// packet, as the read loop does.
func BenchmarkUnmarshalForward(b *testing.B) {
	up := NewUpTrack("v", Video, "video/VP8")
	down := NewDownTrack(Video, "video/VP8", discard{}, nil)
	up.Subscribe(down)
	down.SetSource(up)
	src := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, PayloadType: 96}, Payload: make([]byte, 1100)}
	src.Payload[0] = 0x10
	_ = src.SetExtension(3, []byte{1, 2})
	raw, err := src.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var p rtp.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
		up.Forward(&p)
	}
}
