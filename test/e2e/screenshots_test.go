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
