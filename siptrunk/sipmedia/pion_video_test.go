package sipmedia

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// pionPair negotiates a (offering) with b (answering) on loopback.
func pionPair(t *testing.T, aVideo, bVideo bool) (a, b *pionMedia, offer, answer string) {
	t.Helper()
	a = newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, aVideo)
	b = newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, bVideo)
	for _, m := range []*pionMedia{a, b} {
		t.Cleanup(func() { _ = m.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err := a.Offer(ctx)
	must(t, err)
	answer, err = b.Answer(ctx, offer)
	must(t, err)
	must(t, a.Accept(answer))
	return a, b, offer, answer
}

// vp8Key is a one-packet VP8 key frame (payload descriptor S=1, PID 0;
// frame tag P=0) marked with marker in its last byte.
func vp8Key(seq uint16, marker byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: vp8PayloadType, SequenceNumber: seq,
		Timestamp: uint32(seq) * 3000, Marker: true}, Payload: []byte{0x10, 0x00, 0x9d, 0x01, 0x2a, marker}}
}

// sendUntil writes audio and VP8 from both sides every 20 ms until done
// reports true or 5 s pass.
func sendUntil(t *testing.T, what string, done func() bool, ms ...*pionMedia) {
	t.Helper()
	frame := make([]byte, 160)
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seq := uint16(1); !done(); seq++ {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
		for i, m := range ms {
			_ = m.WriteAudio(frame, 160)
			if _, ok := m.VideoMime(); ok {
				_ = m.WriteRTP(vp8Key(seq, byte('a'+i)))
			}
		}
		<-tick.C
	}
}

// A video call between two ICE back-ends: VP8 negotiated with the
// feedback a PBX relays, key frames crossing both ways beside the audio,
// and keyframe requests (PLI here; FIR when the peer takes only that)
// reaching the other side's OnKeyframeRequest.
func TestPionMediaVideoBothWays(t *testing.T) {
	a, b, offer, answer := pionPair(t, true, true)
	for _, s := range []string{offer, answer} {
		if !OffersVP8(s) || !strings.Contains(s, "a=group:BUNDLE") || !strings.Contains(s, "nack pli") {
			t.Fatalf("SDP without bundled VP8 and its feedback:\n%s", s)
		}
	}
	var got [2]atomic.Uint32 // marker byte of the last VP8 each side received
	var asked [2]atomic.Uint64
	for i, m := range []*pionMedia{a, b} {
		if mime, ok := m.VideoMime(); !ok || mime != "video/VP8" {
			t.Fatalf("side %d: video %q %v, want video/VP8", i, mime, ok)
		}
		m.OnKeyframeRequest(func() { asked[i].Add(1) })
		m.StartVideo(func(p *rtp.Packet) { got[i].Store(uint32(p.Payload[len(p.Payload)-1])) })
		m.Start(func(*rtp.Packet) {})
	}
	sendUntil(t, "VP8 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
	a.RequestKeyframe()
	b.RequestKeyframe()
	sendUntil(t, "keyframe requests both ways", func() bool { return asked[0].Load() > 0 && asked[1].Load() > 0 }, a, b)
	if a.Received() == 0 || b.Received() == 0 {
		t.Fatal("no audio beside the video")
	}
}

// An audio-only peer answers a video offer with the video refused (port
// 0): the call keeps its audio and has no video, never fails. Asterisk
// refuses it with a bare "m=video 0 UDP/TLS/RTP/SAVPF 96" (no mid, not in
// its BUNDLE group): that form is accepted too.
func TestPionMediaVideoOfferToAudioOnlyPeer(t *testing.T) {
	for _, bare := range []bool{false, true} {
		a := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, true)
		b := newPionMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, false)
		for _, m := range []*pionMedia{a, b} {
			t.Cleanup(func() { _ = m.Close() })
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offer, err := a.Offer(ctx)
		must(t, err)
		answer, err := b.Answer(ctx, offer)
		must(t, err)
		if videoKept(answer) || !strings.Contains(answer, "m=video 0 ") {
			t.Fatalf("audio-only answer does not refuse the video:\n%s", answer)
		}
		if bare {
			answer = answer[:strings.Index(answer, "m=video 0 ")] + "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
			answer = strings.Replace(answer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0", 1)
		}
		must(t, a.Accept(answer))
		for _, m := range []*pionMedia{a, b} {
			if _, ok := m.VideoMime(); ok {
				t.Fatal("video negotiated with an audio-only peer")
			}
			m.Start(func(*rtp.Packet) {})
		}
		sendUntil(t, "audio both ways", func() bool { return a.Received() > 5 && b.Received() > 5 }, a, b)
	}
}

// A keyframe request goes out behind a receiver report: Asterisk drops
// RTCP that does not start with SR or RR.
func TestKeyframeRequestIsCompound(t *testing.T) {
	for _, fir := range []bool{false, true} {
		pkts := keyframeRequest(7, 9, fir, 1)
		b, err := rtcp.Marshal(pkts)
		must(t, err)
		if pt := b[1]; pt != 200 && pt != 201 {
			t.Errorf("fir=%v: first RTCP packet type %d, want SR or RR", fir, pt)
		}
		if !wantsKeyframe(b) {
			t.Errorf("fir=%v: compound packet not read as a keyframe request", fir)
		}
	}
}

func TestVideoSDPHelpers(t *testing.T) {
	offer := "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 4002 RTP/AVP 100\r\n" +
		"a=rtpmap:100 VP8/90000\r\na=rtcp-fb:* ccm fir\r\na=rtcp-fb:* nack\r\n"
	if !OffersVP8(offer) || !videoKept(offer) {
		t.Error("VP8 offer not recognised")
	}
	if pli, fir := videoFeedback(offer); pli || !fir {
		t.Errorf("feedback pli=%v fir=%v, want FIR only (Asterisk's)", pli, fir)
	}
	h264 := strings.Replace(offer, "VP8/90000", "H264/90000", 1)
	if OffersVP8(h264) {
		t.Error("H.264-only offer taken as VP8")
	}
	refused := strings.Replace(offer, "m=video 4002", "m=video 0", 1)
	if OffersVP8(refused) || videoKept(refused) {
		t.Error("a refused video section taken as video")
	}
	ours := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	videoFirst := "v=0\r\nm=video 4002 RTP/AVP 100\r\nm=audio 4000 RTP/AVP 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	got := rejectOthers(videoFirst, ours)
	want := "m=video 0 RTP/AVP 100\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	if !strings.HasSuffix(got, want) || !strings.HasPrefix(got, "v=0\r\no=x") {
		t.Errorf("rejectOthers:\n%s\nwant the sections in the offer's order:\n%s", got, want)
	}
	if rejectOthers("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", ours) != ours {
		t.Error("an audio-only offer's answer changed")
	}
}

// A socket back-end not asked for video (an audio call) answers a peer's
// audio+video offer with the video refused with port 0, the audio
// answered as before.
func TestSockMediaRefusesVideo(t *testing.T) {
	m, err := newSockMedia(net.ParseIP("127.0.0.1"), []string{"pcmu"}, sockRTP, testLogger())
	must(t, err)
	t.Cleanup(func() { _ = m.Close() })
	offer := "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"m=video 4002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"
	answer, err := m.Answer(context.Background(), offer)
	must(t, err)
	audio, video := strings.Index(answer, "m=audio "), strings.Index(answer, "m=video 0 RTP/AVP 100")
	if audio < 0 || video < audio || strings.Contains(answer, "m=audio 0") {
		t.Fatalf("answer does not keep the audio and refuse the video:\n%s", answer)
	}
}
