package web_test

import (
	"net/http"
	"strings"
	"testing"
)

const meetingConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo]}
rooms: [{number: "800", name: Daily, video: none, moderators: ["1001"]}]
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
  - {number: "1004", name: Dave, password: pw1004, xphone: true}
`

// joinRoom dials room 800 from tab and returns the call id once connected.
func joinRoom(t *testing.T, tb *tab) string {
	t.Helper()
	id, c := dial(t, tb, "800", false)
	waitConnected(t, c)
	tb.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	return id
}

// chatLine is the first new chat message tab got on call.
func chatLine(tb *tab, call string) map[string]any {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.msgs {
		if m["type"] == "chat" && m["call"] == call && m["history"] == nil {
			if msgs := m["messages"].([]any); len(msgs) > 0 {
				return msgs[0].(map[string]any)
			}
		}
	}
	return nil
}

// memberOf is what tab's latest roster says of number.
func memberOf(tb *tab, number string) map[string]any {
	r := tb.last("roster")
	if r == nil {
		return nil
	}
	for _, m := range r["members"].([]any) {
		if mm := m.(map[string]any); mm["number"] == number {
			return mm
		}
	}
	return nil
}

// Meetings at the signalling level: chat reaches everyone verbatim (the
// UI shows it as text) and late joiners get it; a participant's moderator
// requests are refused with not_allowed and change nothing; the
// moderator's mute, lock and removal work and everyone is told; hands and
// recording show; recordings are listed and served to admins only.
func TestMeetingSignalling(t *testing.T) {
	srv := startServer(t, meetingConfig)
	aliceB := newBrowser(t, srv)
	aliceB.login("1001", "pw1001")
	alice := aliceB.mustTab()
	bobB := newBrowser(t, srv)
	bobB.login("1002", "pw1002")
	bob := bobB.mustTab()
	a, b := joinRoom(t, alice), joinRoom(t, bob)
	alice.waitFor("meeting", map[string]any{"call": a, "moderator": true, "may_record": true, "locked": false})
	bob.waitFor("meeting", map[string]any{"call": b, "moderator": false, "may_record": false})

	const evil = `<img src=x onerror="alert(1)">`
	bob.send(map[string]any{"type": "chat", "call": b, "text": evil})
	for _, tc := range []struct {
		tb   *tab
		call string
	}{{alice, a}, {bob, b}} {
		var msg map[string]any
		waitUntil(t, "the chat message", func() bool { msg = chatLine(tc.tb, tc.call); return msg != nil })
		if msg["text"] != evil || msg["number"] != "1002" || msg["name"] != "Bob" {
			t.Fatalf("chat arrived as %v", msg)
		}
	}
	carol := loggedInTab(t, srv, "1003", "pw1003")
	c := joinRoom(t, carol)
	hist := carol.waitFor("chat", map[string]any{"call": c, "history": true})
	if msgs := hist["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["text"] != evil {
		t.Fatalf("late joiner's history: %v", hist)
	}
	alice.waitFor("notice", map[string]any{"call": a, "kind": "joined", "number": "1003", "name": "Carol"})

	aliceID := memberOf(bob, "1001")["id"].(string)
	bobID := memberOf(alice, "1002")["id"].(string)
	carolID := memberOf(alice, "1003")["id"].(string)
	for i, req := range []map[string]any{
		{"type": "moderate", "call": b, "action": "mute", "member": aliceID, "on": true},
		{"type": "moderate", "call": b, "action": "remove", "member": carolID},
		{"type": "moderate", "call": b, "action": "lock", "on": true},
		{"type": "record", "call": b, "on": true},
	} {
		id := "refused" + string(rune('a'+i))
		req["req"] = id
		bob.send(req)
		reason := "not_moderator" // the UI translates it (meeting.error.REASON)
		if req["type"] == "record" {
			reason = "not_allowed_here" // the recording policy, not moderation, decides
		}
		bob.waitFor("error", map[string]any{"req": id, "code": "not_allowed", "reason": reason})
	}
	if m := memberOf(carol, "1001"); m["mod_muted"] == true || carol.find("call-state", map[string]any{"state": "ended"}) != nil {
		t.Fatal("a refused request had an effect")
	}

	bob.send(map[string]any{"type": "hand", "call": b, "on": true})
	waitUntil(t, "Bob's hand shown to Carol", func() bool { return memberOf(carol, "1002")["hand"] == true })
	alice.send(map[string]any{"type": "moderate", "call": a, "action": "mute", "member": bobID, "on": true})
	waitUntil(t, "Bob shown muted by the moderator", func() bool {
		m := memberOf(carol, "1002")
		return m["mod_muted"] == true && m["muted"] == true
	})
	bob.waitFor("notice", map[string]any{"call": b, "kind": "muted", "number": "1002", "by": "1001"})

	alice.send(map[string]any{"type": "moderate", "call": a, "action": "lock", "on": true})
	carol.waitFor("meeting", map[string]any{"call": c, "locked": true})
	dave := loggedInTab(t, srv, "1004", "pw1004")
	d, _ := dial(t, dave, "800", false)
	dave.waitFor("call-state", map[string]any{"call": d, "state": "ended", "reason": "room_locked"})

	alice.send(map[string]any{"type": "moderate", "call": a, "action": "remove", "member": carolID})
	carol.waitFor("call-state", map[string]any{"call": c, "state": "ended", "reason": "removed"})
	bob.waitFor("notice", map[string]any{"call": b, "kind": "removed", "number": "1003", "by": "1001"})

	alice.send(map[string]any{"type": "record", "call": a, "on": true})
	bob.waitFor("meeting", map[string]any{"call": b, "recording": true})
	bob.waitFor("notice", map[string]any{"call": b, "kind": "recording_started"})
	alice.send(map[string]any{"type": "record", "call": a, "on": false})
	bob.waitFor("notice", map[string]any{"call": b, "kind": "recording_stopped"})

	var name string
	waitUntil(t, "the admin page lists the recording", func() bool {
		_, body := aliceB.get("admin/")
		page := body["_body"].(string)
		i := strings.Index(page, `href="recordings/800-`)
		if i < 0 {
			return false
		}
		name = page[i+len(`href="recordings/`):]
		name = name[:strings.Index(name, `"`)]
		return strings.HasSuffix(name, ".ogg")
	})
	resp, body := aliceB.get("admin/recordings/" + name)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/ogg" ||
		!strings.HasPrefix(body["_body"].(string), "OggS") || !strings.Contains(resp.Header.Get("Content-Disposition"), name) {
		t.Fatalf("download: %d %v %q", resp.StatusCode, resp.Header, body["_body"].(string)[:min(8, len(body["_body"].(string)))])
	}
	if resp, _ := bobB.get("admin/recordings/" + name); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin downloads a recording: %d", resp.StatusCode)
	}
	for _, bad := range []string{"..%2Fpasswords.yaml", "passwords.yaml", "800-20260101-000000-abcdef.ogg"} {
		if resp, _ := aliceB.get("admin/recordings/" + bad); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("download of %q: %d, want 404", bad, resp.StatusCode)
		}
	}
}
