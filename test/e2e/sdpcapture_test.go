package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// sdpLogJS records every SDP the page sends to or receives from the server
// over the signalling socket (window.__sdpLog: {dir, type, sdp}).
const sdpLogJS = `(() => {
  if (window.__sdpLog) return;
  const log = [];
  window.__sdpLog = log;
  const Orig = window.WebSocket;
  const send = Orig.prototype.send;
  Orig.prototype.send = function (data) {
    try {
      const m = JSON.parse(data);
      if (m && typeof m.sdp === 'string') log.push({ dir: 'sent', type: m.type, sdp: m.sdp });
    } catch (e) { /* not JSON */ }
    return send.call(this, data);
  };
  window.WebSocket = function (...args) {
    const ws = new Orig(...args);
    ws.addEventListener('message', (ev) => {
      try {
        const m = JSON.parse(ev.data);
        if (m && typeof m.sdp === 'string') log.push({ dir: 'received', type: m.type, sdp: m.sdp });
      } catch (e) { /* not JSON */ }
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[k] = Orig[k];
})();`

// sdpEntry is one SDP of sdpLogJS.
type sdpEntry struct {
	Dir  string `json:"dir"`
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// sdpLog returns the SDPs the page exchanged so far.
func (b *browser) sdpLog() []sdpEntry {
	b.t.Helper()
	var log []sdpEntry
	b.eval(`window.__sdpLog || []`, &log)
	return log
}

// TestCaptureFirefoxSDP records the SDP Firefox ESR really exchanges with
// the product, for the sfu tests that replay it (sfu/testdata/firefox):
// an audio call, a video call with simulcast (the fake camera) and without
// (a 320×180 camera), accepting a video call, and a conference where the
// server adds video slots by renegotiation; and one offer of Chromium's for
// comparison. It is a tool, not a check: it runs only when
// XPHONE_CAPTURE_SDP names the directory to write to.
//
//	XPHONE_CAPTURE_SDP=$PWD/sfu/testdata/firefox /work/wt/heavy.sh go test -count=1 -run TestCaptureFirefoxSDP -v ./test/e2e/
func TestCaptureFirefoxSDP(t *testing.T) {
	dir := os.Getenv("XPHONE_CAPTURE_SDP")
	if dir == "" {
		t.Skip("set XPHONE_CAPTURE_SDP=DIR to record Firefox's SDP")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, serverOptions{})
	ff := newBrowser(t, "1001-firefox", inFirefox())
	ff.addScript(sdpLogJS)
	cr := newBrowser(t, "1002-chromium")
	cr.addScript(sdpLogJS) // Chromium's own offer, for comparison (docs/signaling.md)
	ff.login(srv, "1001")
	cr.login(srv, "1002")
	save := func(name string, e sdpEntry) {
		t.Helper()
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(e.SDP), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s %s, %d bytes", file, e.Dir, e.Type, len(e.SDP))
	}
	call := func(name string, video, ffCalls bool) {
		t.Helper()
		before := len(ff.sdpLog())
		if ffCalls {
			connectCall(t, ff, cr, "1001", "Alice", "1002", "Bob", video, video)
		} else {
			connectCall(t, cr, ff, "1002", "Bob", "1001", "Alice", video, video)
		}
		time.Sleep(time.Second) // let media start, for the server log
		log := ff.sdpLog()[before:]
		if len(log) < 2 {
			t.Fatalf("%s: %d SDPs recorded, want offer and answer", name, len(log))
		}
		save(name+"-offer.sdp", log[0])
		save(name+"-answer.sdp", log[1])
		ff.click("button", "Hang up")
		cr.waitUntil("idle", signalTimeout, idle())
		ff.waitUntil("idle", signalTimeout, idle())
	}
	call("audio", false, true)
	call("video-simulcast", true, true)
	call("accept-video", true, false)
	for _, e := range cr.sdpLog() {
		if e.Dir == "sent" && e.Type == "dial" {
			save("chromium-video-simulcast-offer.sdp", e) // Chromium's, for comparison
			break
		}
	}

	// A conference: two more join after Firefox, so the server offers slots.
	before := len(ff.sdpLog())
	ff.dial("800", true)
	ff.waitText("status", regexp.MustCompile(`^800 · Board$`), signalTimeout)
	c3 := newBrowser(t, "1003-chromium")
	c3.login(srv, "1003")
	cr.dial("800", true)
	c3.dial("800", true)
	ff.waitUntil("the server's slot offer answered", signalTimeout,
		`(window.__sdpLog || []).filter((e) => e.dir === 'sent' && e.type === 'answer').length >= 1`)
	time.Sleep(2 * time.Second) // a second offer, if the two joins were not folded into one
	log := ff.sdpLog()[before:]
	n := 0
	for _, e := range log {
		name := fmt.Sprintf("conference-%d-%s-%s.sdp", n, e.Dir, e.Type)
		n++
		save(name, e)
	}
	raw, _ := json.MarshalIndent(log, "", " ")
	t.Logf("conference: %d SDPs (%d bytes)", len(log), len(raw))
	for _, p := range []*browser{ff, cr, c3} {
		p.click("button", "Hang up")
	}

	// One layer: a camera too small for simulcast.
	small := newBrowser(t, "1004-firefox-small", inFirefox(), withCamera(camBlue), withTone(440, -12))
	small.addScript(sdpLogJS)
	small.login(srv, "1004")
	small.dial("1002", true)
	cr.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	cr.click("button", "Accept Video")
	small.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	time.Sleep(time.Second)
	log = small.sdpLog()
	save("video-single-offer.sdp", log[0])
	save("video-single-answer.sdp", log[1])
}
