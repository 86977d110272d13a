package sipmedia

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// videoPair negotiates a (offering) with b (answering), both socket
// back-ends of kind, a wanting video and b taking it when bVideo.
func videoPair(t testing.TB, kind sockKind, bVideo bool, rewrite ...func(string) string) (a, b *sockMedia, offer, answer string) {
	t.Helper()
	check := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	ip := net.ParseIP(ourIP)
	a, err := newSockMedia(ip, []string{"pcmu"}, kind, testLogger())
	check(err)
	t.Cleanup(func() { _ = a.Close() })
	b, err = newSockMedia(ip, []string{"pcmu"}, kind, testLogger())
	check(err)
	t.Cleanup(func() { _ = b.Close() })
	a.wantVideo, b.wantVideo = true, bVideo
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err = a.Offer(ctx)
	check(err)
	for _, f := range rewrite {
		offer = f(offer)
	}
	answer, err = b.Answer(ctx, offer)
	check(err)
	check(a.Accept(answer))
	return a, b, offer, answer
}

// sockSendUntil writes audio and, where negotiated, VP8 from every side
// every 20 ms until done or 5 s pass.
func sockSendUntil(t *testing.T, what string, done func() bool, ms ...*sockMedia) {
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

// startVideo starts both sides, recording the marker byte of the last
// VP8 each received and the keyframe requests each was asked for.
func startVideo(a, b *sockMedia) (got *[2]atomic.Uint32, asked *[2]atomic.Uint64) {
	got, asked = new([2]atomic.Uint32), new([2]atomic.Uint64)
	for i, m := range []*sockMedia{a, b} {
		m.OnKeyframeRequest(func() { asked[i].Add(1) })
		m.StartVideo(func(p *rtp.Packet) { got[i].Store(uint32(p.Payload[len(p.Payload)-1])) })
		m.Start(func(*rtp.Packet) {})
	}
	return got, asked
}

// A video call between two socket back-ends of every kind: a VP8 section
// on its own port pair (its own SDES key, its own DTLS association),
// key frames crossing both ways beside the audio, keyframe requests
// reaching the other side.
func TestSockMediaVideoBothWays(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) })
	// The latching cases offer a dead video port: only symmetric RTP
	// (latching on the offerer's first packet) gets the answerer's video
	// through.
	deadVideo := func(s string) string { return regexp.MustCompile(`m=video \d+ `).ReplaceAllString(s, "m=video 9 ") }
	for _, tc := range []struct {
		name    string
		kind    sockKind
		rewrite []func(string) string
	}{{"dtls", sockDTLS, nil}, {"sdes", sockSDES, nil}, {"rtp", sockRTP, nil},
		{"rtp latching", sockRTP, []func(string) string{deadVideo}}, {"sdes latching", sockSDES, []func(string) string{deadVideo}}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, offer, answer := videoPair(t, tc.kind, true, tc.rewrite...)
			for _, s := range []string{offer, answer} {
				if !OffersVP8(s) || !strings.Contains(s, "ccm fir") {
					t.Fatalf("SDP without VP8 and its feedback:\n%s", s)
				}
				if p := parseSDPSection(s, "video"); p.port == parseSDPMedia(s).port || p.port == 0 {
					t.Fatalf("video shares the audio's port %d", p.port)
				}
				if v, au := parseSDPSection(s, "video"), parseSDPMedia(s); tc.kind == sockSDES && v.crypto[0] == au.crypto[0] {
					t.Fatalf("video reuses the audio's SDES key:\n%s", s)
				}
			}
			for _, m := range []*sockMedia{a, b} {
				if mime, ok := m.VideoMime(); !ok || mime != "video/VP8" {
					t.Fatalf("video %q %v, want video/VP8", mime, ok)
				}
			}
			got, asked := startVideo(a, b)
			sockSendUntil(t, "VP8 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
			a.RequestKeyframe()
			b.RequestKeyframe()
			sockSendUntil(t, "keyframe requests both ways", func() bool { return asked[0].Load() > 0 && asked[1].Load() > 0 }, a, b)
			if a.Received() == 0 || b.Received() == 0 {
				t.Fatal("no audio beside the video")
			}
			if s := a.Stats(); s.KeyframesRequested == 0 || s.KeyframesAsked == 0 || s.VideoPeerSSRC == 0 {
				t.Errorf("stats %+v: keyframe counters or peer SSRC missing", s)
			}
		})
	}
}

// A peer answering only "ccm fir" (as Asterisk does) gets FIR, with
// its own payload type for VP8.
func TestSockMediaVideoFIROnly(t *testing.T) {
	answer := "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" +
		"m=video 4002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=rtcp-fb:* ccm fir\r\na=rtcp-fb:* nack\r\n"
	m := &sockMedia{video: &sockVideo{}}
	m.peer = parseSDPSection(answer, "video")
	must(t, m.takeVideoCodec(answer, pickAnswerVideo))
	if !m.video.fir || m.video.pt != 100 {
		t.Errorf("fir %v, payload type %d; want FIR and 100", m.video.fir, m.video.pt)
	}
}

// A video offer to an audio-only peer: the answer refuses the video
// (port 0), the offerer has no video and re-offers it refused.
func TestSockMediaVideoToAudioOnlyPeer(t *testing.T) {
	a, b, _, answer := videoPair(t, sockSDES, false)
	if !strings.Contains(answer, "m=video 0 ") {
		t.Fatalf("audio-only answer does not refuse the video:\n%s", answer)
	}
	for _, m := range []*sockMedia{a, b} {
		if _, ok := m.VideoMime(); ok {
			t.Fatal("video negotiated with an audio-only peer")
		}
	}
	if !strings.Contains(a.LocalSDP(), "m=video 0 ") {
		t.Errorf("our later offers would offer the refused video again:\n%s", a.LocalSDP())
	}
}

// A hold re-offer keeps the video but pauses ours toward the holder
// until the resume (which asks our sender for a keyframe); a new SDES key
// for the video is taken; a re-offer dropping the video is refused (488).
func TestSockMediaVideoUpdate(t *testing.T) {
	a, b, _, _ := videoPair(t, sockSDES, true)
	got, asked := startVideo(a, b)
	sockSendUntil(t, "VP8 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)

	// a re-keys its video (a fresh key in the same suite) and holds.
	old := a.vid.sdes.line()
	k, err := newSDESKey("1", 0)
	must(t, err)
	a.vid.sdes = k
	newKey, err := sdesPair(k, b.vid.sdes)
	must(t, err)
	reoffer := WithDirection(replaceAttr(a.LocalSDP(), "crypto", old, k.line()), SendOnly)
	ans, err := b.Update(reoffer)
	must(t, err)
	if !OffersVP8(ans) {
		t.Fatalf("hold answer lost the video:\n%s", ans)
	}
	a.vid.sec.Store(newKey)
	got[0].Store(0)
	got[1].Store(0)
	sockSendUntil(t, "VP8 under the new key", func() bool { return got[1].Load() == 'a' }, a, b)
	// a holds (its video sendonly): b sends it no video meanwhile.
	sent := b.vid.stats.sent.Load()
	sockSendUntil(t, "10 more packets of a's", countdown(10), a, b)
	if n := b.vid.stats.sent.Load() - sent; n != 0 {
		t.Errorf("b sent %d video packets to a peer that holds the call (video sendonly)", n)
	}
	askedBefore := asked[1].Load()
	_, err = b.Update(WithDirection(reoffer, SendRecv))
	must(t, err)
	sockSendUntil(t, "b's video back after the resume", func() bool { return got[0].Load() == 'b' }, a, b)
	if asked[1].Load() == askedBefore {
		t.Error("resumed video: no keyframe asked of b's sender")
	}

	noVideo := strings.Replace(reoffer, "m=video "+strconv.Itoa(a.vid.port()), "m=video 0", 1)
	if _, err := b.Update(noVideo); !errors.Is(err, ErrUpdate) {
		t.Errorf("a re-offer dropping the video: err %v, want ErrUpdate", err)
	}
}

// Malformed and hostile video is dropped and counted: another payload
// type, garbage, truncated RTCP; the call's video goes on.
func TestSockMediaVideoHostile(t *testing.T) {
	a, b, _, _ := videoPair(t, sockRTP, true)
	got, _ := startVideo(a, b)
	sockSendUntil(t, "VP8 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
	// From a's own video socket, so plain RTP's strict latch lets it in.
	to := b.vid.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	wrongPT, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: []byte{1, 2}}).Marshal()
	before, asked := b.Stats().VideoRejected, b.Stats().KeyframesAsked
	// A FIR header claiming 40 bytes in a 12-byte packet: accepted as RTCP
	// (plain RTP cannot tell), but no keyframe request.
	lyingFIR := []byte{0x84, 0xce, 0x00, 0x09, 0, 0, 0, 1, 0, 0, 0, 2}
	bad := [][]byte{wrongPT, {0x80, 0xc9, 0xff, 0xff}, {0x80}, make([]byte, 1400), {0x81, 0xce, 0x00, 0x09, 1}}
	for _, p := range append(bad, lyingFIR) {
		_, err := a.vid.conn.WriteToUDPAddrPort(p, to)
		must(t, err)
	}
	waitUntil(t, 2*time.Second, "every bad packet counted", func() bool { return b.Stats().VideoRejected == before+uint64(len(bad)) })
	got[1].Store(0)
	sockSendUntil(t, "VP8 after the garbage", func() bool { return got[1].Load() == 'a' }, a, b)
	if b.Stats().KeyframesAsked != asked {
		t.Error("a malformed FIR became a keyframe request")
	}
}

// TestWantsKeyframeRaw: the allocation-free scan finds PLI and FIR in a
// compound packet behind a receiver report, and nothing in reports or
// malformed input.
func TestWantsKeyframeRaw(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkts []rtcp.Packet
		want bool
	}{
		{"rr+pli", keyframeRequest(1, 2, false, 0), true},
		{"rr+fir", keyframeRequest(1, 2, true, 3), true},
		{"sr+sdes", []rtcp.Packet{&rtcp.SenderReport{SSRC: 1}, rtcp.NewCNAMESourceDescription(1, "x")}, false},
		{"nack", []rtcp.Packet{&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 2}}, false},
	} {
		b, err := rtcp.Marshal(tc.pkts)
		must(t, err)
		if got := wantsKeyframeRaw(b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, b := range [][]byte{nil, {0x80}, {0x80, 0xc9, 0xff, 0xff}, {0x40, 0xce, 0, 2}} {
		if wantsKeyframeRaw(b) {
			t.Errorf("malformed %x: keyframe request found", b)
		}
	}
	pli, _ := rtcp.Marshal(keyframeRequest(1, 2, false, 0))
	if n := testing.AllocsPerRun(100, func() { wantsKeyframeRaw(pli) }); n != 0 {
		t.Errorf("%.1f allocations per RTCP scan, want 0", n)
	}
}

// TestSockMediaVideoWriteNoAllocs: sending a protected VP8 packet does
// not allocate.
func TestSockMediaVideoWriteNoAllocs(t *testing.T) {
	a, _, _, _ := videoPair(t, sockSDES, true)
	p := vp8Key(1, 'x')
	if n := testing.AllocsPerRun(200, func() { must(t, a.WriteRTP(p)); p.SequenceNumber++ }); n != 0 {
		t.Errorf("%.1f allocations per SRTP video packet sent, want 0", n)
	}
}

// countdown is a done func that holds after n calls.
func countdown(n int) func() bool {
	return func() bool { n--; return n < 0 }
}

// BenchmarkSockVideoWrite: one SDES-protected VP8 packet of a browser's
// sent to the SIP peer (header rewritten, encrypted, sent): 0 allocs.
func BenchmarkSockVideoWrite(b *testing.B) {
	a, _, _, _ := videoPair(b, sockSDES, true)
	p := vp8Key(1, 'x')
	p.Payload = append(p.Payload, make([]byte, 1000)...)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.WriteRTP(p); err != nil {
			b.Fatal(err)
		}
		p.SequenceNumber++
	}
}

// A DTLS restart on the video m-line, as Asterisk does after every
// re-INVITE: the offerer (the client here) starts a new association on
// the same socket; the answerer completes it, asks its browser for a
// keyframe (video across the key change may be lost), and VP8 flows
// under the new keys both ways.
func TestSockMediaVideoDTLSRestart(t *testing.T) {
	a, b, _, _ := videoPair(t, sockDTLS, true)
	got, asked := startVideo(a, b)
	sockSendUntil(t, "VP8 both ways", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
	before, oldKeys := asked[1].Load(), b.vid.sec.Load()

	next := newDTLSPackets(a.vid) // what Asterisk's SSL_clear and new ClientHello amount to
	_ = a.vid.dtlsIn.Swap(next).Close()
	a.vid.wg.Add(1)
	go a.vid.handshake(next, true)

	waitUntil(t, 5*time.Second, "the answerer's restarted association", func() bool { return b.Stats().VideoDTLSRestarts == 1 })
	if b.vid.sec.Load() == oldKeys || b.Stats().DTLSRestarts != 0 {
		t.Fatal("the video's keys did not change, or the audio's association restarted instead")
	}
	if asked[1].Load() == before {
		t.Error("no keyframe asked of the browser after the video's DTLS restart")
	}
	got[0].Store(0)
	got[1].Store(0)
	sockSendUntil(t, "VP8 both ways under the new keys", func() bool { return got[0].Load() == 'b' && got[1].Load() == 'a' }, a, b)
}
