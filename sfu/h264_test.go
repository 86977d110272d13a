package sfu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

func TestIsH264Keyframe(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"IDR slice", []byte{0x65, 0x88}, true},
		{"SPS", []byte{0x67, 0x42, 0xe0, 0x1f}, true},
		{"PPS alone", []byte{0x68, 0xce}, false},
		{"non-IDR slice", []byte{0x41, 0x9a}, false},
		{"STAP-A with SPS and PPS", []byte{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce}, true},
		{"STAP-A with an IDR second", []byte{0x78, 0, 2, 0x06, 0x05, 0, 2, 0x65, 0x88}, true},
		{"STAP-A of delta slices", []byte{0x78, 0, 2, 0x41, 0x9a, 0, 2, 0x41, 0x9b}, false},
		{"STAP-A truncated", []byte{0x78, 0, 9, 0x41}, false},
		{"FU-A IDR start", []byte{0x7c, 0x85, 0x00}, true},
		{"FU-A IDR middle", []byte{0x7c, 0x05, 0x00}, false},
		{"FU-A non-IDR start", []byte{0x5c, 0x81, 0x00}, false},
		{"FU-A without header", []byte{0x7c}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isH264Keyframe(tt.in); got != tt.want {
				t.Fatalf("isH264Keyframe(%x) = %v", tt.in, got)
			}
			if got := isKeyframe("video/H264", tt.in); got != tt.want {
				t.Fatalf("isKeyframe(H264, %x) = %v", tt.in, got)
			}
		})
	}
}

func FuzzIsH264Keyframe(f *testing.F) {
	f.Add([]byte{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce})
	f.Fuzz(func(t *testing.T, b []byte) { isH264Keyframe(b) })
}

// An H.264 receiver gets nothing of a new source until its IDR (here an
// FU-A start fragment after a STAP-A of SPS and PPS), like VP8's.
func TestH264DownTrackWaitsForKeyframe(t *testing.T) {
	rec := &recorder{}
	down := NewDownTrack(Video, mimeH264, rec, nil)
	up := NewUpTrack("v", Video, mimeH264)
	up.Subscribe(down)
	down.SetSource(up)
	pkt := func(seq uint16, payload ...byte) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: payload}
	}
	up.Forward(pkt(1, 0x41, 0x9a))
	up.Forward(pkt(2, 0x7c, 0x05, 0))
	if len(rec.got) != 0 {
		t.Fatalf("%d packets forwarded before a keyframe", len(rec.got))
	}
	up.Forward(pkt(3, 0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce))
	up.Forward(pkt(4, 0x7c, 0x85, 0))
	up.Forward(pkt(5, 0x41, 0x9a))
	if len(rec.got) != 3 || rec.got[0].SequenceNumber != 3 {
		t.Fatalf("forwarded %d packets from the SPS on, want 3", len(rec.got))
	}
}

// answerFor negotiates offer on api and returns the answer's video section.
func answerFor(t *testing.T, api *MediaAPI, offer string) *sdp.MediaDescription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, offer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), ReasonHangup) })
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media == "video" && md.MediaName.Port.Value != 0 {
			return md
		}
	}
	t.Fatalf("no video in the answer:\n%s", answer)
	return nil
}

// videoFormat is the one format of an answered video section: its m=
// format list, rtpmap and fmtp lines.
func videoFormat(md *sdp.MediaDescription) (formats, rtpmap, fmtp string) {
	rtpmap, _ = md.Attribute("rtpmap")
	fmtp, _ = md.Attribute("fmtp")
	return strings.Join(md.MediaName.Formats, " "), rtpmap, fmtp
}

// Chromium offers VP8 and several H.264 formats: the server keeps VP8
// unless the policy says h264, then takes constrained baseline in
// packetization mode 1 with the offer's payload type and profile; a
// browser offering no VP8 gets H.264 whatever the policy.
func TestVideoCodecChoiceFollowsOfferAndPolicy(t *testing.T) {
	chromium := firefoxSDP(t, "chromium-video-simulcast-offer.sdp")
	noVP8 := strings.Replace(chromium, "a=rtpmap:96 VP8/90000\r\n", "", 1)
	const h264Line = "108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	h264API := func() *MediaAPI {
		cfg := testMediaConfig()
		cfg.VideoCodec = "h264"
		api, err := NewMediaAPI(cfg, nil, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(api.Close)
		return api
	}
	tests := []struct {
		name   string
		api    *MediaAPI
		offer  string
		format string
		rtpmap string
		fmtp   string
	}{
		{"default keeps VP8", testMediaAPI(t), chromium, "96", "96 VP8/90000", ""},
		{"policy h264", h264API(), chromium, "108", "108 H264/90000", h264Line},
		{"no VP8 offered", testMediaAPI(t), noVP8, "108", "108 H264/90000", h264Line},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formats, rtpmap, fmtp := videoFormat(answerFor(t, tt.api, tt.offer))
			if formats != tt.format || rtpmap != tt.rtpmap || fmtp != tt.fmtp {
				t.Fatalf("answered video %q rtpmap %q fmtp %q, want %q %q %q",
					formats, rtpmap, fmtp, tt.format, tt.rtpmap, tt.fmtp)
			}
		})
	}
}

// Only packetization mode 1 in the baseline family is forwarded; mode 0
// (one NAL unit per packet, no fragments) and High profile are refused.
func TestH264Usable(t *testing.T) {
	tests := []struct {
		fmtp        string
		profile     string
		constrained bool
		ok          bool
	}{
		{"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "42e01f", true, true},
		{"packetization-mode=1;profile-level-id=42001f", "42001f", false, true},
		{"profile-level-id=42e01f; packetization-mode=1", "42e01f", true, true},
		{"packetization-mode=0;profile-level-id=42e01f", "", false, false},
		{"profile-level-id=42e01f", "", false, false},
		{"packetization-mode=1;profile-level-id=64001f", "", false, false},
		{"packetization-mode=1;profile-level-id=zz", "", false, false},
	}
	for _, tt := range tests {
		p, c, ok := h264Usable(tt.fmtp)
		if p != tt.profile || c != tt.constrained || ok != tt.ok {
			t.Errorf("h264Usable(%q) = %q %v %v, want %q %v %v", tt.fmtp, p, c, ok, tt.profile, tt.constrained, tt.ok)
		}
	}
}

// BenchmarkForwardH264 forwards H.264 video (a key frame's STAP-A, FU-A
// fragments and delta slices) with a keyframe request pending, so every
// packet goes through the codec's keyframe check: 0 allocs per packet.
func BenchmarkForwardH264(b *testing.B) {
	up := NewUpTrack("v", Video, mimeH264)
	down := NewDownTrack(Video, mimeH264, discard{}, nil)
	up.Subscribe(down)
	down.SetSource(up)
	payloads := [][]byte{{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce}, {0x7c, 0x85, 0}, {0x7c, 0x45, 0}, {0x41, 0x9a, 0}}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SequenceNumber++
		p.Payload = payloads[i%len(payloads)]
		down.wantKey.Store(true)
		up.Forward(p)
	}
}
