package e2e

import (
	"regexp"
	"testing"
	"time"
)

// TestTabLimitShownInPage: a tab beyond limits.per_extension.tabs is closed
// by the server with 4409; the page says why, shows "Disconnected" and does
// not keep reconnecting, while the first tab stays connected.
func TestTabLimitShownInPage(t *testing.T) {
	srv := startServer(t, serverOptions{config: configTemplate + "limits: {per_extension: {tabs: 1}}\n"})
	a := newBrowser(t, "1001")
	a.login(srv, "1001")
	extra := a.secondTab("1001 second tab")
	extra.addScript(countSocketsJS)
	extra.navigate(srv.URL) // same cookie: straight to the main screen
	extra.waitText("status", regexp.MustCompile(`^Too many Xphone tabs open for this extension \(limit 1\)\. Close one and reload\.$`), signalTimeout)
	extra.waitUntil("the Disconnected badge", time.Second,
		`(() => { const b = document.getElementById('conn-badge'); return !b.hidden && b.textContent === 'Disconnected'; })()`)
	time.Sleep(1500 * time.Millisecond) // longer than the first reconnect backoff (≤ 500 ms): a retry would show
	extra.waitUntil("one socket only, no reconnect", time.Second, "window.__socketsOpened === 1 && !window.xphone.state().connected")
	a.waitUntil("the first tab still connected", time.Second,
		"window.xphone.state().ready && document.getElementById('conn-badge').hidden")
}

// countSocketsJS counts the WebSockets the page opens.
const countSocketsJS = `(() => {
  const Native = window.WebSocket;
  window.__socketsOpened = 0;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__socketsOpened += 1; }
  };
})();`
