package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// pageTextJS is the visible text of the whole page.
const pageTextJS = `document.body ? document.body.innerText : ''`

// TestAdminStatusPage: with 1002↔1003 in a call and 1004 in room 800, the
// admin page (opened in a real browser by admin 1001, who logs in through
// the UI first) lists the room, its participant, the call with both parties
// and its DTLS-SRTP encryption; a non-admin gets 403.
func TestAdminStatusPage(t *testing.T) {
	srv := startServer(t, serverOptions{})
	b := newBrowser(t, "1002")
	c := newBrowser(t, "1003")
	d := newBrowser(t, "1004")
	b.login(srv, "1002")
	c.login(srv, "1003")
	d.login(srv, "1004")
	connectCall(t, b, c, "1002", "Bob", "1003", "Carol", false, false)
	d.dial("800", false)
	d.waitText("status", regexp.MustCompile(`^800 · Board$`), signalTimeout)

	// Not logged in: the admin page sends the browser to the login form,
	// which brings it back after the login.
	a := newBrowser(t, "1001")
	a.navigate(srv.URL + "admin/")
	a.waitVisible("textbox", "Extension", signalTimeout)
	a.fill("Extension", "1001")
	a.fill("Password", "pw1001")
	a.click("button", "Log in")
	a.waitUntil("admin page after the login", signalTimeout,
		`location.pathname.endsWith('/admin/') && /Xphone status/.test(document.title)`)

	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`800 Board`),
		regexp.MustCompile(`1004 Dave`),
		regexp.MustCompile(`1002 Bob[^\n]*DTLS-SRTP`),
		regexp.MustCompile(`1003 Carol[^\n]*DTLS-SRTP`),
	} {
		a.waitUntil("admin page shows "+want.String(), signalTimeout, jsRegExp(want)+".test("+pageTextJS+")")
	}
	var text string
	a.eval(pageTextJS, &text)
	t.Logf("admin page:\n%s", text)
	if low := strings.ToLower(text); !strings.Contains(low, "conference rooms") || !strings.Contains(low, "calls") {
		t.Fatalf("admin page lacks its sections:\n%s", text)
	}
	shotBoth(t, a, "admin-1-status")

	// A non-admin (1002, logged in, in a call) is refused.
	var status int
	b.eval(`fetch('admin/', {redirect: 'manual'}).then((r) => r.status)`, &status)
	if status != 403 {
		t.Fatalf("admin page for non-admin 1002: HTTP %d, want 403", status)
	}
	b.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), time.Second)

	b.click("button", "Hang up")
	c.waitUntil("1003 idle", signalTimeout, idle())
	d.click("button", "Hang up")
	d.waitUntil("1004 idle", signalTimeout, idle())
}
