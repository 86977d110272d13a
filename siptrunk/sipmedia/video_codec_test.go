package sipmedia

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// a PBX's video section with H.264 in both packetization modes and VP8.
const mixedVideoOffer = "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" +
	"m=video 4002 RTP/AVP 99 98 100\r\na=rtpmap:99 H264/90000\r\na=fmtp:99 profile-level-id=42e01f\r\n" +
	"a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=42001f\r\n" +
	"a=rtpmap:100 VP8/90000\r\n"

// The table takes VP8 first, or only the caller's codec; H.264 only in
// packetization mode 1 and the baseline family, keeping the offer's payload
// type and profile.
func TestPickVideo(t *testing.T) {
	p := parseSDPSection(mixedVideoOffer, "video")
	if c, ok := pickVideo(p, videoCodecs); !ok || c.Mime != MimeVP8 || c.PT != 100 {
		t.Errorf("default order took %+v %v, want VP8 on 100", c, ok)
	}
	c, ok := pickVideo(p, videoCodecsFor(MimeH264))
	if !ok || c.Mime != MimeH264 || c.PT != 98 || c.Fmtp != "profile-level-id=42001f;packetization-mode=1" {
		t.Errorf("H.264 only took %+v %v, want H.264 mode 1 on 98 with profile 42001f", c, ok)
	}
	high := strings.NewReplacer("a=rtpmap:100 VP8/90000\r\n", "", "42001f", "64001f").Replace(mixedVideoOffer)
	if OffersVideo(high) {
		t.Error("an offer of H.264 High profile and mode 0 only counts as video we take")
	}
	bare := parseSDPSection(strings.Replace(mixedVideoOffer, "m=video 4002 RTP/AVP 99 98 100", "m=video 4002 RTP/AVP 99", 1), "video")
	if _, ok := pickVideo(bare, videoCodecs); ok {
		t.Error("an offer of H.264 without fmtp (packetization mode 0) is taken")
	}
	delete(bare.fmtp, 99)
	if c, ok := pickAnswerVideo(bare, videoCodecs); !ok || c.PT != 99 || c.Fmtp != videoCodecs[1].Fmtp {
		t.Errorf("an answer keeping our H.264 without fmtp (Asterisk without res_format_attr_h264) gave %+v %v", c, ok)
	}
	if !OffersVideo(strings.Replace(mixedVideoOffer, "a=rtpmap:100 VP8/90000\r\n", "", 1)) {
		t.Error("an offer of H.264 mode 1 baseline is not taken")
	}
}

// Our offer (VP8 and H.264) to an H.264-only peer, on every socket
// back-end: both sides settle on H.264 with the peer's payload type,
// video crosses both ways and keyframe requests reach the other side.
func TestSockMediaH264ToH264OnlyPeer(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) })
	for _, tc := range []struct {
		name string
		kind sockKind
	}{{"dtls", sockDTLS}, {"sdes", sockSDES}, {"rtp", sockRTP}} {
		t.Run(tc.name, func(t *testing.T) {
			h264Only := func(m *sockMedia) { m.videoOrder = videoCodecsFor(MimeH264) }
			a, b, offer, answer := videoPairWith(t, tc.kind, nil, h264Only)
			if !strings.Contains(offer, "VP8/90000") || !strings.Contains(offer, "a=fmtp:102 profile-level-id=42e01f;packetization-mode=1") {
				t.Fatalf("offer lacks VP8 or H.264 mode 1:\n%s", offer)
			}
			if strings.Contains(answer, "VP8") || !strings.Contains(answer, "a=rtpmap:102 H264/90000") {
				t.Fatalf("answer is not H.264 alone:\n%s", answer)
			}
			for _, m := range []*sockMedia{a, b} {
				if mime, ok := m.VideoMime(); !ok || mime != MimeH264 {
					t.Fatalf("video %q %v, want video/H264", mime, ok)
				}
			}
			got, asked := startVideo(a, b)
			sockSendUntil(t, "H.264 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
			a.RequestKeyframe()
			b.RequestKeyframe()
			sockSendUntil(t, "keyframe requests both ways", func() bool { return asked[0].Load() > 0 && asked[1].Load() > 0 }, a, b)
		})
	}
}

// videoPairWith is videoPair with each side shaped before negotiating.
func videoPairWith(t *testing.T, kind sockKind, shapeA, shapeB func(*sockMedia)) (a, b *sockMedia, offer, answer string) {
	t.Helper()
	ip := net.ParseIP(ourIP)
	a, err := newSockMedia(ip, []string{"pcmu"}, kind, testLogger())
	must(t, err)
	t.Cleanup(func() { _ = a.Close() })
	b, err = newSockMedia(ip, []string{"pcmu"}, kind, testLogger())
	must(t, err)
	t.Cleanup(func() { _ = b.Close() })
	a.wantVideo, b.wantVideo = true, true
	for _, s := range []struct {
		m *sockMedia
		f func(*sockMedia)
	}{{a, shapeA}, {b, shapeB}} {
		if s.f != nil {
			s.f(s.m)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err = a.Offer(ctx)
	must(t, err)
	answer, err = b.Answer(ctx, offer)
	must(t, err)
	must(t, a.Accept(answer))
	return a, b, offer, answer
}

// The ICE back-end: our offer of VP8 and H.264 answered by an H.264-only
// peer moves our track to H.264 before the answer binds it; the answer
// side, offered both with H.264 preferred, takes H.264 alone.
func TestPionMediaH264BothWays(t *testing.T) {
	for _, tc := range []struct {
		name         string
		aOrder, bOrd []VideoCodec
	}{{"h264-only answerer", nil, videoCodecsFor(MimeH264)}, {"h264-only offerer", videoCodecsFor(MimeH264), nil}} {
		t.Run(tc.name, func(t *testing.T) {
			a := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, true)
			b := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, true)
			a.video.order, b.video.order = tc.aOrder, tc.bOrd
			for _, m := range []*pionMedia{a, b} {
				t.Cleanup(func() { _ = m.Close() })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			offer, err := a.Offer(ctx)
			must(t, err)
			answer, err := b.Answer(ctx, offer)
			must(t, err)
			must(t, a.Accept(answer))
			if strings.Contains(answer, "VP8") || !strings.Contains(answer, "H264/90000") {
				t.Fatalf("answer is not H.264 alone:\n%s", answer)
			}
			var got [2]atomic.Uint32
			var asked [2]atomic.Uint64
			for i, m := range []*pionMedia{a, b} {
				if mime, ok := m.VideoMime(); !ok || mime != MimeH264 {
					t.Fatalf("side %d: video %q %v, want video/H264", i, mime, ok)
				}
				m.OnKeyframeRequest(func() { asked[i].Add(1) })
				m.StartVideo(func(p *rtp.Packet) { got[i].Store(uint32(p.Payload[len(p.Payload)-1])) })
				m.Start(func(*rtp.Packet) {})
			}
			sendUntil(t, "H.264 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
			a.RequestKeyframe()
			b.RequestKeyframe()
			sendUntil(t, "keyframe requests both ways", func() bool { return asked[0].Load() > 0 && asked[1].Load() > 0 }, a, b)
		})
	}
}
