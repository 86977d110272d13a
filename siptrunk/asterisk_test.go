package siptrunk

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// astModes are the media modes of docs/asterisk.md.
var astModes = []string{"webrtc", "dtls", "sdes", "rtp"}

// TestAsterisk runs the Asterisk interop suite (see asterisk_suite_test.go):
// for every media mode on UDP and TCP, registration, calls both ways with
// tones and DTMF checked at both ends, and hold/resume; then the call
// features across the trunk.
func TestAsterisk(t *testing.T) {
	s := startAsteriskSuite(t)
	for _, tr := range []string{"udp", "tcp"} {
		for _, m := range astModes {
			s.addCell(t, m, tr)
		}
	}
	// All of Asterisk's configuration is in place before the cells run:
	// a reload of res_pjsip must not meet another cell's call.
	static := s.addStaticCell(t)
	var figures cellFigures
	var runs []cellRun
	for _, c := range s.cells[:len(s.cells)-1] {
		runs = append(runs, cellRun{c.name(), func(t *testing.T) { figures.set(c.name(), s.checkCell(t, c)) }})
	}
	runs = append(runs, cellRun{"static-peer", func(t *testing.T) {
		figures.set("static", append(s.checkOutbound(t, static), s.checkInbound(t, static)...))
	}})
	start := time.Now()
	runCells(t, cellsParallel(), runs)
	t.Logf("%d cells, %d at a time: %s", len(runs), cellsParallel(), ms(time.Since(start)))
	// the features start, as before, from an Asterisk without channels
	waitUntil(t, 5*time.Second, "Asterisk's channels gone", func() bool { return s.ast.Channels() == 0 })
	for _, name := range []string{"webrtc/udp", "dtls/udp", "sdes/udp", "rtp/udp", "webrtc/tcp", "dtls/tcp", "sdes/tcp", "rtp/tcp", "static"} {
		t.Logf("%-12s %s", name, strings.Join(figures.get(name), ", "))
	}
	s.checkFeatures(t, s.cells[0])
}

// TestAsteriskVideo runs the video checks (asterisk_video_test.go) on
// their own Asterisk: a webrtc cell over UDP and one over TCP, and the
// modes without ICE (a socket pair per m-line) over UDP.
func TestAsteriskVideo(t *testing.T) {
	s := startAsteriskSuite(t)
	var runs []cellRun
	for _, tr := range []string{"udp", "tcp"} {
		c := s.addCell(t, "webrtc", tr)
		runs = append(runs, cellRun{c.name(), func(t *testing.T) { s.checkVideo(t, c, true) }})
	}
	// Plain RTP answers a PBX's video offer with the code DTLS and SDES
	// prove; its Echo cell is enough.
	for _, m := range []string{"dtls", "sdes", "rtp"} {
		c := s.addCell(t, m, "udp")
		if m == "dtls" { // for checkVideoHeldByAsterisk, set before any cell runs (a reload of res_pjsip must not meet a call)
			must(t, s.ast.AddConfig("pjsip.conf", "["+c.endpoint+"](+)\nmoh_passthrough = yes"))
		}
		runs = append(runs, cellRun{c.name(), func(t *testing.T) { s.checkVideo(t, c, m != "rtp") }})
	}
	kit := s.addKitCell(t, "xphone-dtls-ice", "webrtc")
	runs = append(runs, cellRun{"audio-only-endpoint", func(t *testing.T) { s.checkVideoToAudioOnly(t, kit) }})
	start := time.Now()
	runCells(t, cellsParallel(), runs)
	t.Logf("%d cells, %d at a time: %s", len(runs), cellsParallel(), ms(time.Since(start)))
}

// checkCell: registration, then one call each way through the cell.
func (s *astSuite) checkCell(t *testing.T, c *astCell) []string {
	waitUntil(t, 10*time.Second, c.name()+" registered", func() bool { ok, _, _ := c.trunk.Status(); return ok })
	contacts, _ := s.ast.CLI("pjsip show contacts")
	if !strings.Contains(contacts, c.endpoint+"/sip:") {
		t.Fatalf("Asterisk has no contact for %s:\n%s", c.endpoint, contacts)
	}
	var out []string
	out = append(out, s.checkOutbound(t, c)...)
	out = append(out, s.checkInbound(t, c)...)
	return out
}

// checkOutbound: our user c.caller calls 690 through c; audio and DTMF
// both ways, then our hold and resume (Asterisk stops and resumes its
// 800 Hz; with DTLS without ICE it restarts DTLS, which we must answer).
func (s *astSuite) checkOutbound(t *testing.T, c *astCell) []string {
	p := s.newParty(t, c.caller)
	_, setup := s.dial(t, p, c, "690")
	first := hear(t, p, 1300, 5*time.Second, "Asterisk's first audio")
	out := []string{fmt.Sprintf("out: setup %s, first audio +%s", ms(setup), ms(first))}
	s.checkCallMedia(t, c, p)
	out = append(out, s.checkOurHold(t, c, p)...)
	s.hangupCell(t, c, p)
	return out
}

// checkInbound: Asterisk calls our user c.callee (channel originate) into
// 690.
func (s *astSuite) checkInbound(t *testing.T, c *astCell) []string {
	p := s.newParty(t, c.callee)
	s.ext.answerWith(c.callee, p.leg)
	start := time.Now()
	must(t, s.ast.Originate("PJSIP/"+c.callee+"@"+c.endpoint, "690@xphone-test"))
	hear(t, p, 1300, 10*time.Second, "Asterisk's audio on its call")
	out := []string{"in: originate → audio " + ms(time.Since(start))}
	s.checkCallMedia(t, c, p)
	out = append(out, s.checkOurHold(t, c, p)...)
	s.hangupCell(t, c, p)
	return out
}

// checkCallMedia is the middle of a call to 690: our 1000 Hz detected by
// Asterisk, its DTMF 123# reaching our user, ours (456#) collected by it,
// then its 800 Hz heard.
func (s *astSuite) checkCallMedia(t *testing.T, c *astCell, p *party) {
	t.Helper()
	must(t, p.client.StartTone(1000, 16000))
	key := "check-" + c.endpoint
	if v := s.ast.WaitDB(key+"-tone", "", 15*time.Second); v != "SUCCESS" {
		t.Fatalf("Asterisk's tone detection of our 1000 Hz: %q, want SUCCESS", v)
	}
	if got := digits(t, p, 4, 5*time.Second); got != "123#" {
		t.Errorf("Asterisk's DTMF at our user: %q, want 123#", got)
	}
	if v := s.ast.WaitDB(key+"-dtmf", "", 5*time.Second); v != "READING" {
		t.Fatalf("Asterisk not reading digits: %q", v)
	}
	press(t, p, "456#")
	if v := s.ast.WaitDB(key+"-dtmf", "READING", 10*time.Second); v != "456" {
		t.Errorf("Asterisk collected our DTMF %q, want 456", v)
	}
	hear(t, p, 800, 5*time.Second, "Asterisk's 800 Hz after the DTMF")
}

// checkOurHold: our user holds (re-INVITE a=sendonly, Asterisk answers
// recvonly) and resumes (sendrecv); Asterisk's 800 Hz comes back. With
// DTLS without ICE Asterisk restarts DTLS after each re-INVITE, which we
// must answer or its audio never returns.
func (s *astSuite) checkOurHold(t *testing.T, c *astCell, p *party) []string {
	t.Helper()
	id := s.callOf(t, p.leg)
	sip := c.legIn(t, id)
	restarts := dtlsRestarts(sip)
	must(t, s.calls.Hold(id, p.leg, true))
	waitUntil(t, 5*time.Second, "Asterisk's answer to our hold", func() bool { return sip.peerDir.Load() == "recvonly" })
	time.Sleep(300 * time.Millisecond)
	p.client.ForgetHeard()
	start := time.Now()
	must(t, s.calls.Hold(id, p.leg, false))
	waitUntil(t, 5*time.Second, "Asterisk's answer to our resume", func() bool { return sip.peerDir.Load() == "sendrecv" })
	hear(t, p, 800, 5*time.Second, "Asterisk's 800 Hz after our resume")
	took := time.Since(start)
	if c.mode == "dtls" && dtlsRestarts(sip) == restarts {
		t.Error("Asterisk did not restart DTLS on our hold/resume re-INVITEs: the restart path is untested")
	}
	return []string{"resume → audio " + ms(took)}
}

// dtlsRestarts is how many DTLS restarts l's socket back-end completed.
func dtlsRestarts(l *Leg) uint64 {
	return l.media.Stats().DTLSRestarts
}

// legIn is c's SIP leg in call control's call id.
func (c *astCell) legIn(t *testing.T, id string) *Leg {
	t.Helper()
	var l *Leg
	waitUntil(t, 5*time.Second, "the SIP leg of call "+id, func() bool { l = c.trunk.legInCall(id); return l != nil })
	return l
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
