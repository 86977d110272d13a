package siptrunk

import (
	"slices"
	"testing"
	"time"

	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// H.264 across the trunk against Asterisk's Echo (600), on an endpoint
// allowing h264 instead of vp8 (docs/asterisk.md, "Video"). The kit has no
// res_format_attr_h264, so Asterisk answers "H264/90000" without fmtp; it
// passes the packets through untouched, and the trunk takes that answer
// as the format it offered (sipmedia.pickAnswerVideo).

// newH264Party is a fake browser for number whose camera is H.264 only
// (no VP8 offered), frames marked with marker, key frames on request.
func (s *astSuite) newH264Party(t *testing.T, number string, marker byte) *party {
	t.Helper()
	return s.newCameraParty(t, number, marker, sfutest.Options{Video: true, H264: true, KeyframesOnRequest: true})
}

// TestAsteriskVideoH264Echo: an H.264-only browser video-calls Echo over
// ICE (pion back-end) and SDES (socket back-end); its H.264 comes back
// from a key frame on, and Echo's FIR reaches the browser.
func TestAsteriskVideoH264Echo(t *testing.T) {
	s := startAsteriskSuite(t)
	// The cells take ports after TestAsteriskVideo's six (5081+i): a UDP
	// trunk sends its (too large) ICE INVITE over a new TCP connection
	// from its listening port, which cannot be had again while the earlier
	// test's connection from it lingers in TIME_WAIT.
	s.cells = append(s.cells, make([]*astCell, 6)...)
	var runs []cellRun
	for _, m := range []string{"webrtc", "sdes"} {
		c := s.addCell(t, m, "udp")
		// before any cell runs: a reload of res_pjsip must not meet a call
		must(t, s.ast.AddConfig("pjsip.conf", "["+c.endpoint+"](+)\ndisallow = vp8\nallow = h264"))
		runs = append(runs, cellRun{c.name(), func(t *testing.T) { s.checkH264Echo(t, c) }})
	}
	runCells(t, cellsParallel(), runs)
}

// checkH264Echo is one cell's H.264 call to Echo.
func (s *astSuite) checkH264Echo(t *testing.T, c *astCell) {
	waitUntil(t, 10*time.Second, c.name()+" registered", func() bool { ok, _, _ := c.trunk.Status(); return ok })
	p := s.newH264Party(t, c.caller, 'H')
	must(t, p.client.StartTone(1000, 16000))
	obs := newObserver()
	start := time.Now()
	id, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + "600", Video: true, Observer: obs})
	must(t, err)
	select {
	case <-obs.connected:
	case <-time.After(15 * time.Second):
		t.Fatal("H.264 video call to 600 not answered")
	}
	setup := time.Since(start)
	sip := c.legIn(t, id)
	if mime, ok := sip.media.(interface{ VideoMime() (string, bool) }).VideoMime(); !ok || mime != "video/H264" {
		t.Fatalf("SIP leg video %q %v, want video/H264; our SDP:\n%s", mime, ok, sip.media.LocalSDP())
	}
	video := seesVideo(t, p, 'H', 10*time.Second, "our own H.264 back from Echo")
	if keys, _ := p.client.VideoFlow("1"); keys == 0 {
		t.Error("no H.264 key frame came back from Echo")
	}
	hear(t, p, 1000, 5*time.Second, "our own 1000 Hz back from Echo")
	if info := sip.Describe(); !slices.Contains(info.Codecs, "H264") {
		t.Errorf("status page codecs %v, want H264 listed", info.Codecs)
	}
	waitUntil(t, 5*time.Second, "Echo's FIR relayed to the browser", func() bool {
		return sip.media.Stats().KeyframesAsked > 0 && p.client.KeyframeRequests.Load() > 0
	})
	t.Logf("H.264 call to Echo (%s): setup %s, own video back +%s", c.name(), ms(setup), ms(video))
	s.hangupCell(t, c, p)
}
