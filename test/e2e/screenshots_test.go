package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestScreenshots saves pictures of every screen at desktop and phone size
// for a human to review. It runs only when XPHONE_SCREENSHOTS names a
// directory:
//
//	XPHONE_SCREENSHOTS=/tmp/shots go test -run TestScreenshots -v ./test/e2e/
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("XPHONE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set XPHONE_SCREENSHOTS=DIR to save screenshots of the UI")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			srv := startServer(t, serverOptions{})
			a := newBrowser(t, "1001", withViewport(vp.w, vp.h))
			b := newBrowser(t, "1002", withViewport(vp.w, vp.h))
			shot := func(p *browser, name string) {
				t.Helper()
				time.Sleep(400 * time.Millisecond) // let transitions settle; pictures only, no assertion
				p.screenshot(filepath.Join(dir, fmt.Sprintf("%s-%s.png", vp.name, name)))
			}

			a.navigate(srv.URL)
			a.waitVisible("button", "Log in", stepTimeout)
			a.fill("Extension", "1001")
			a.fill("Password", "wrong")
			a.click("button", "Log in")
			a.waitText("alert", regexp.MustCompile("Wrong"), signalTimeout)
			shot(a, "1-login-error")

			a.login(srv, "1001")
			b.login(srv, "1002")
			shot(a, "2-main")
			a.click("button", "Keypad")
			a.fill("Number", "1002")
			shot(a, "3-main-keypad")
			a.click("button", "Keypad")

			a.click("button", "Video call")
			b.waitUntil("incoming", signalTimeout, "window.__xpt.names('dialog').length === 1")
			a.waitStatusSeen(regexp.MustCompile("Ringing"), signalTimeout)
			shot(a, "4-ringing")
			shot(b, "5-incoming")
			b.click("button", "Accept Video")
			a.waitText("status", regexp.MustCompile("Connected"), signalTimeout)
			a.requireMediaFlowing(true, mediaTimeout)
			b.requireMediaFlowing(true, mediaTimeout)
			time.Sleep(1500 * time.Millisecond)
			shot(a, "6-video-call")
			a.click("button", "Mute microphone")
			shot(a, "7-video-call-muted")
			b.click("button", "Hang up")
			a.waitText("status", regexp.MustCompile("Call ended"), signalTimeout)
			shot(a, "8-ended")

			a.dial("1002", false)
			b.waitUntil("incoming", signalTimeout, "window.__xpt.names('dialog').length === 1")
			shot(b, "9-incoming-audio")
			b.click("button", "Accept Audio")
			a.waitText("status", regexp.MustCompile("Connected"), signalTimeout)
			shot(a, "10-audio-call")
			a.click("button", "Hang up")
			a.fill("Number", "5555")
			a.click("button", "Audio call")
			a.waitText("status", regexp.MustCompile("No such number"), signalTimeout)
			shot(a, "11-failed")
			a.hoverText("1001")
			shot(a, "12-logout-hover")
		})
	}
}

// TestConferenceScreenshots saves pictures of the conference views (grid,
// Users tooltip, speaker mode, PIN dialog, audio-only room) at desktop and
// phone size, like TestScreenshots, when XPHONE_SCREENSHOTS names a directory.
func TestConferenceScreenshots(t *testing.T) {
	dir := os.Getenv("XPHONE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set XPHONE_SCREENSHOTS=DIR to save screenshots of the UI")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			srv := startServer(t, serverOptions{})
			media := t.TempDir()
			size := withViewport(vp.w, vp.h)
			alice := newMember(t, media, "1001", "Alice", 440, camRed, size)
			bob := newMember(t, media, "1002", "Bob", 660, camGreen, size)
			carol := newMember(t, media, "1003", "Carol", 0, camBlue, size)
			shot := func(p *member, name string) {
				t.Helper()
				time.Sleep(500 * time.Millisecond) // let transitions settle; pictures only, no assertion
				p.screenshot(filepath.Join(dir, fmt.Sprintf("%s-conf-%s.png", vp.name, name)))
			}
			for _, m := range []*member{alice, bob, carol} {
				m.login(srv, m.ext)
			}

			carol.joinRoom("800", "800 · Board", true, false)
			shot(carol, "1-alone")
			bob.joinRoom("800", "800 · Board", true, true)
			alice.joinRoom("800", "800 · Board", true, false)
			carol.waitFramed("Participant 1001", 0, 5*time.Second)
			carol.requireRemoteVideos(map[string]rgb{"Participant 1001": camRed, "Participant 1002": camGreen}, mediaTimeout)
			shot(carol, "2-grid")
			carol.hover("button", "Users 3")
			shot(carol, "3-users")
			alice.waitUntil("Alice framed", signalTimeout, framedJS("You"))
			shot(alice, "4-grid-self-speaking")
			for _, m := range []*member{alice, bob, carol} {
				m.click("button", "Hang up")
				m.waitUntil("idle", signalTimeout, idle())
			}

			carol.joinRoom("801", "801 · Stage", true, false)
			bob.joinRoom("801", "801 · Stage", true, true)
			alice.joinRoom("801", "801 · Stage", true, false)
			carol.waitUntil("speaker big", mediaTimeout, bigJS("Participant 1001"))
			carol.requireRemoteVideos(map[string]rgb{"Participant 1001": camRed}, mediaTimeout)
			shot(carol, "5-speaker")
			for _, m := range []*member{alice, bob, carol} {
				m.click("button", "Hang up")
				m.waitUntil("idle", signalTimeout, idle())
			}

			carol.dial("802", false)
			carol.waitUntil("PIN dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
			shot(carol, "6-pin")
			carol.fill("PIN", "1234")
			carol.click("button", "Join")
			carol.waitText("alert", regexp.MustCompile(`(?i)wrong`), signalTimeout)
			shot(carol, "7-pin-wrong")
			carol.fill("PIN", "4711")
			carol.click("button", "Join")
			carol.waitText("status", regexp.MustCompile(`^802 · Vault$`), signalTimeout)
			alice.dial("802", false)
			alice.waitUntil("PIN dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
			alice.fill("PIN", "4711")
			alice.click("button", "Join")
			carol.waitFramed("Participant 1001", 0, 5*time.Second)
			shot(carol, "8-audio-room")
		})
	}
}
