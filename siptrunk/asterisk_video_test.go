package siptrunk

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// Video across the trunk against Asterisk (docs/asterisk.md, "Video"):
// VP8 passed through both ways on every media mode (ICE bundled; DTLS
// without ICE, SDES and plain RTP on a socket pair per m-line), keyframe
// requests relayed both ways. Fake browsers send one-packet VP8 frames marked with
// their own byte (sfutest), key frames only on request, so a lost
// request shows as frozen video.

// checkVideo runs the video subtests on cell c; inbound adds the PBX
// offering video (Dial), 2.6 s a cell. With inbound, a dtls cell's
// endpoint needs moh_passthrough (TestAsteriskVideo sets it).
func (s *astSuite) checkVideo(t *testing.T, c *astCell, inbound bool) {
	waitUntil(t, 10*time.Second, c.name()+" registered", func() bool { ok, _, _ := c.trunk.Status(); return ok })
	t.Run("video-echo", func(t *testing.T) { s.checkVideoEcho(t, c) })
	if inbound {
		t.Run("video-pbx-calls", func(t *testing.T) { s.checkVideoInbound(t, c) })
	}
}

// sipmediaPorts counts the distinct m-line ports of SDP s.
func sipmediaPorts(s string) int {
	ports := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^m=\w+ (\d+) `).FindAllStringSubmatch(s, -1) {
		ports[m[1]] = true
	}
	return len(ports)
}

// newVideoParty is a fake browser for number with a camera whose frames
// carry marker.
func (s *astSuite) newVideoParty(t *testing.T, number string, marker byte) *party {
	t.Helper()
	return s.newCameraParty(t, number, marker, sfutest.Options{Video: true, KeyframesOnRequest: true})
}

// newCameraParty is a fake browser for number with the camera opts
// describe, whose frames carry marker.
func (s *astSuite) newCameraParty(t *testing.T, number string, marker byte, opts sfutest.Options) *party {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sfutest.NewClientWith(opts)
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	c.VideoMarker.Store(uint32(marker))
	offer, err := c.Offer(ctx)
	must(t, err)
	leg, answer, err := s.api.NewWebRTCLeg(ctx, sfu.Identity{Number: number, Name: "N" + number}, offer)
	must(t, err)
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), sfu.ReasonHangup) })
	must(t, c.Answer(answer))
	must(t, c.Connected(ctx))
	c.Listen()
	return &party{client: c, leg: leg, dtmf: make(chan rune, 16)}
}

// seesVideo waits until p receives video frames marked marker and
// returns how long that took.
func seesVideo(t *testing.T, p *party, marker byte, d time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	var n uint64
	var got byte
	for time.Since(start) < d {
		if n, got = p.client.VideoOn("1"); n > 10 && got == marker {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %d video packets, last marked %q, want %q", what, n, got, marker)
	return d
}

// checkVideoEcho: a video call to Asterisk's Echo (600). Our audio and
// VP8 come back; Echo's FIR for our video reaches the browser as a
// keyframe request, and a keyframe request for Asterisk's video from the
// browser's side reaches Asterisk as one (its RTCP debug says so).
func (s *astSuite) checkVideoEcho(t *testing.T, c *astCell) {
	p := s.newVideoParty(t, c.caller, 'V')
	must(t, p.client.StartTone(1000, 16000))
	obs := newObserver()
	start := time.Now()
	logAt := s.ast.LogSize()
	id, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + "600", Video: true, Observer: obs})
	must(t, err)
	select {
	case <-obs.connected:
	case <-time.After(15 * time.Second):
		t.Fatal("video call to 600 not answered")
	}
	setup := time.Since(start)
	sip := c.legIn(t, id)
	m := sip.media
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("SIP leg video: up %d packets, down %d forwarded / %d dropped; media recv %d, peer ssrc %d, keyframe requests asked %d sent %d",
				sip.vup.Packets(), sip.vdown.Forwarded(), sip.vdown.Dropped(), m.Stats().Received, m.Stats().VideoPeerSSRC,
				m.Stats().KeyframesAsked, m.Stats().KeyframesRequested)
			st := m.Stats()
			t.Logf("video stream: %d rejected, %d DTLS restarts; browser asked for %d keyframes", st.VideoRejected,
				st.VideoDTLSRestarts, p.client.KeyframeRequests.Load())
			for _, d := range p.leg.Downs() {
				if d.Kind() == sfu.Video {
					t.Logf("browser's video down: %d forwarded / %d dropped", d.Forwarded(), d.Dropped())
				}
			}
		}
	})
	if c.mode != "webrtc" && (strings.Contains(m.Encryption(), "ICE") || sipmediaPorts(m.LocalSDP()) < 2) {
		t.Fatalf("%s: %s media, want video on its own socket pair:\n%s", c.name(), m.Encryption(), m.LocalSDP())
	}
	video := seesVideo(t, p, 'V', 10*time.Second, "our own video back from Echo")
	hear(t, p, 1000, 5*time.Second, "our own 1000 Hz back from Echo")
	if info := sip.Describe(); !slices.Contains(info.Codecs, "VP8") {
		t.Errorf("status page codecs %v, want VP8 listed", info.Codecs)
	}
	waitUntil(t, 5*time.Second, "Echo's FIR relayed to the browser", func() bool {
		return m.Stats().KeyframesAsked > 0 && p.client.KeyframeRequests.Load() > 0
	})

	callID := s.logCallID(t, logAt, "600", c.endpoint)
	defer s.rtcpDebug(t)()
	off := s.ast.LogSize()
	before := m.Stats().KeyframesRequested
	time.Sleep(400 * time.Millisecond) // past the UpTrack's keyframe request throttle (300 ms)
	for _, d := range p.leg.Downs() {
		if d.Kind() == sfu.Video {
			d.RequestKeyframe() // what the browser leg does on the browser's PLI
		}
	}
	if m.Stats().KeyframesRequested == before {
		t.Error("the browser's keyframe request did not become a PLI/FIR to Asterisk")
	}
	fastUpdate := regexp.MustCompile(`\[` + callID + `\] res_rtp_asterisk\.c: Received an RTCP Fast Update Request`)
	if s.ast.WaitLog(off, fastUpdate, 5*time.Second) == "" {
		t.Errorf("Asterisk logged no fast update request from us on its call %s", callID)
	}
	resumed := s.checkVideoHold(t, c, p, id)
	t.Logf("video call to Echo: setup %s, own video back +%s; keyframe requests: Echo's %d relayed, ours %d sent; resume → video %s",
		ms(setup), ms(video), m.Stats().KeyframesAsked, m.Stats().KeyframesRequested, ms(resumed))
	s.hangupCell(t, c, p)
}

// checkVideoHold: our hold and resume of a video call (both sections
// sendonly, then sendrecv); our video comes back through Echo after the
// resume.
func (s *astSuite) checkVideoHold(t *testing.T, c *astCell, p *party, id string) time.Duration {
	t.Helper()
	sip := c.legIn(t, id)
	restarts := sip.media.Stats().VideoDTLSRestarts
	must(t, s.calls.Hold(id, p.leg, true))
	waitUntil(t, 5*time.Second, "Asterisk's answer to our hold", func() bool { return sip.peerDir.Load() == "recvonly" })
	before, _ := p.client.VideoOn("1")
	start := time.Now()
	must(t, s.calls.Hold(id, p.leg, false))
	waitUntil(t, 5*time.Second, "Asterisk's answer to our resume", func() bool { return sip.peerDir.Load() == "sendrecv" })
	waitUntil(t, 10*time.Second, "our video back from Echo after the resume", func() bool {
		n, got := p.client.VideoOn("1")
		return n > before+10 && got == 'V'
	})
	// Without ICE, Asterisk restarts DTLS on every m-line after each
	// re-INVITE: the video above came back over a restarted association.
	if c.mode == "dtls" && sip.media.Stats().VideoDTLSRestarts == restarts {
		t.Error("Asterisk did not restart the video's DTLS on our hold/resume: the restart path is untested")
	}
	return time.Since(start)
}

// checkVideoToAudioOnly: a video call to an endpoint that does not allow
// vp8 (the kit's own xphone-dtls-ice account) is answered audio-only
// (video refused with port 0) and connects with audio, never fails.
func (s *astSuite) checkVideoToAudioOnly(t *testing.T, c *astCell) {
	p := s.newVideoParty(t, c.caller, 'V')
	must(t, p.client.StartTone(1000, 16000))
	obs := newObserver()
	id, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + "600", Video: true, Observer: obs})
	must(t, err)
	select {
	case <-obs.connected:
	case <-time.After(15 * time.Second):
		t.Fatal("video call to an audio-only endpoint not answered")
	}
	hear(t, p, 1000, 5*time.Second, "our own 1000 Hz back from Echo on an audio-only endpoint")
	sip := c.legIn(t, id)
	if sip.vup != nil || len(sip.Ups()) != 1 {
		t.Errorf("audio-only endpoint: the SIP leg has video")
	}
	if info := sip.Describe(); slices.Contains(info.Codecs, "VP8") {
		t.Errorf("audio-only endpoint: status page codecs %v list VP8", info.Codecs)
	}
	s.hangupCell(t, c, p)
}

// checkVideoInbound: our 1001 (c.caller) video-calls 6141002 (614 +
// c.callee), which makes Asterisk call our 1002 back through the trunk
// with the caller's audio and video (Dial), so the PBX's INVITE offers VP8
// and 1002 answers a video call. Each browser sees the other's video
// through Asterisk, both ways.
func (s *astSuite) checkVideoInbound(t *testing.T, c *astCell) {
	a := s.newVideoParty(t, c.caller, 'A')
	b := s.newVideoParty(t, c.callee, 'B')
	must(t, a.client.StartTone(1000, 16000))
	must(t, b.client.StartTone(800, 16000))
	s.ext.answerWith(c.callee, b.leg)
	obs := newObserver()
	start := time.Now()
	_, err := s.calls.Place(sfu.PlaceRequest{Caller: a.leg, To: c.prefix + "614" + c.callee, Video: true, Observer: obs})
	must(t, err)
	select {
	case <-obs.connected:
	case <-time.After(15 * time.Second):
		t.Fatal("1001's video call through Asterisk to 1002 not answered")
	}
	setup := time.Since(start)
	tb := seesVideo(t, b, 'A', 10*time.Second, "1002 sees 1001 through Asterisk")
	ta := seesVideo(t, a, 'B', 10*time.Second, "1001 sees 1002 through Asterisk")
	hear(t, b, 1000, 5*time.Second, "1002 hears 1001")
	hear(t, a, 800, 5*time.Second, "1001 hears 1002")
	var inbound *Leg
	c.trunk.mu.Lock()
	for _, l := range c.trunk.legs {
		if !l.Origin().Dialled {
			inbound = l
		}
	}
	c.trunk.mu.Unlock()
	if inbound == nil || inbound.vup == nil {
		t.Fatal("Asterisk's call to 1002 has no video leg")
	}
	t.Logf("video through the PBX both ways: setup %s, 1002 sees 1001 +%s, 1001 sees 1002 +%s", ms(setup), ms(tb), ms(ta))
	if c.mode == "dtls" {
		s.checkVideoHeldByAsterisk(t, c, a, b)
	}
	s.hangupCell(t, c, a)
}

// checkVideoHeldByAsterisk: 1002 holds and resumes; with moh_passthrough
// Asterisk passes both to 1001's leg as re-INVITEs, after each of which
// it restarts DTLS on every m-line. 1001's leg answers them section by
// section, the video's restarted association included, and after the
// resume each user sees the other again.
func (s *astSuite) checkVideoHeldByAsterisk(t *testing.T, c *astCell, a, b *party) {
	t.Helper()
	aleg := c.legIn(t, s.callOf(t, a.leg))
	restarts := aleg.media.Stats().VideoDTLSRestarts
	idB := s.callOf(t, b.leg)
	must(t, s.calls.Hold(idB, b.leg, true))
	waitUntil(t, 5*time.Second, "Asterisk's hold re-INVITE to 1001", func() bool { return aleg.answerDir.Load() == "recvonly" })
	start := time.Now()
	must(t, s.calls.Hold(idB, b.leg, false))
	waitUntil(t, 5*time.Second, "Asterisk's resume re-INVITE to 1001", func() bool { return aleg.answerDir.Load() == "sendrecv" })
	na, _ := a.client.VideoOn("1")
	nb, _ := b.client.VideoOn("1")
	waitUntil(t, 10*time.Second, "each other's video after Asterisk's resume", func() bool {
		n1, got1 := a.client.VideoOn("1")
		n2, got2 := b.client.VideoOn("1")
		return n1 > na+10 && got1 == 'B' && n2 > nb+10 && got2 == 'A'
	})
	if aleg.media.Stats().VideoDTLSRestarts == restarts {
		t.Error("Asterisk did not restart the video's DTLS after its own re-INVITEs: the restart path is untested")
	}
	t.Logf("held by Asterisk (moh_passthrough): resume → video both ways %s", ms(time.Since(start)))
}
