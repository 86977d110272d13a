package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// noCandidatesJS makes the page's PeerConnections unable to connect: its
// offers and answers leave without ICE candidates and the server's
// arrive without them, so neither side has an address to check.
const noCandidatesJS = `(() => {
  const strip = (sdp) => sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
  const proto = RTCPeerConnection.prototype;
  const setRemote = proto.setRemoteDescription;
  proto.setRemoteDescription = function (d) {
    return setRemote.call(this, d && d.sdp ? {type: d.type, sdp: strip(d.sdp)} : d);
  };
  const local = Object.getOwnPropertyDescriptor(proto, 'localDescription');
  Object.defineProperty(proto, 'localDescription', {get() {
    const d = local.get.call(this);
    return d && {type: d.type, sdp: strip(d.sdp)};
  }});
  try { localStorage.setItem('xphone.noMediaMs', '2500'); } catch (e) {}
})();`

// TestNoMedia: a call whose media never connects (1001's browser cannot
// reach the server's media) is answered, but 1001 never sees a running
// timer: after the media watchdog (2.5 s here, 8 s by default) its tab
// ends the call with "No audio: the media connection did not come up",
// and 1002 sees the call end.
func TestNoMedia(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	a.addScript(noCandidatesJS)
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	a.dial("1002", false)
	b.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	b.click("button", "Accept Audio")
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		var shown bool
		a.eval(`(() => { const e = document.querySelector('[role="timer"]'); return !!e && !e.hidden; })()`, &shown)
		if shown {
			t.Fatal("1001 shows a running call timer although its media is not connected")
		}
		time.Sleep(200 * time.Millisecond)
	}
	a.waitStatusSeen(regexp.MustCompile(`^No audio: the media connection did not come up$`), 5*time.Second)
	t.Logf("1001's tab ended the call without media after %s", time.Since(start).Round(100*time.Millisecond))
	b.waitUntil("1002 idle", signalTimeout, idle())
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestNoMediaAddress: a server whose media.interfaces match nothing has no
// ICE candidate to offer; a call is refused at once with a message naming
// the setting, instead of connecting without media.
func TestNoMediaAddress(t *testing.T) {
	cfg := strings.Replace(configTemplate, "interfaces: [lo]", "interfaces: [nosuchif0]", 1)
	srv := startServer(t, serverOptions{config: cfg})
	a := newBrowser(t, "1001")
	a.login(srv, "1001")
	a.dial("1002", false)
	a.waitStatusSeen(regexp.MustCompile(`no media address \(check media\.interfaces and media\.public_ips\)`), signalTimeout)
	a.waitUntil("1001 idle", signalTimeout, idle())
}
