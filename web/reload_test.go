package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xphone/configs"
)

func mustParse(t *testing.T, text string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const roomConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo]}
rooms: [{number: "800", name: Board, video: all}, {number: "801", name: Side, video: none}]
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
`

func TestReloadChangesSpeakerThresholdInALiveRoom(t *testing.T) {
	srv := startServer(t, roomConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, ac := dial(t, alice, "800", false)
	waitConnected(t, ac)
	bid, bc := dial(t, bob, "800", false)
	waitConnected(t, bc)
	ac.Level.Store(40) // speech under the default threshold 50
	if err := ac.StartTone(440, 4000); err != nil {
		t.Fatal(err)
	}
	bc.Level.Store(127) // Bob listens: only Alice may count as speaking
	bc.StartSending('b')
	self := alice.waitFor("conference", map[string]any{"call": id})["self"].(string)
	waitUntil(t, "alice speaking", func() bool {
		m := bob.find("speakers", map[string]any{"call": bid, "dominant": self})
		return m != nil && len(m["speaking"].([]any)) == 1
	})
	e := srv.Reload(mustParse(t, roomConfig+"policy: {speaker: {threshold: 30}}\n"))
	if !e.OK || !strings.Contains(strings.Join(e.Applied, ","), "policy") {
		t.Fatalf("reload: %+v", e)
	}
	waitUntil(t, "level 40 no longer counts as speech", func() bool {
		m := bob.last("speakers")
		return m != nil && len(m["speaking"].([]any)) == 0
	})
	if alice.find("call-state", map[string]any{"state": "ended"}) != nil {
		t.Fatal("the reload dropped a participant")
	}
}

func TestReloadVideoModeAndRemovedRoom(t *testing.T) {
	srv := startServer(t, roomConfig)
	alice := loggedInTab(t, srv, "1001", "pw1001")
	bob := loggedInTab(t, srv, "1002", "pw1002")
	id, ac := dial(t, alice, "800", false)
	waitConnected(t, ac)
	bid, bc := dial(t, bob, "801", false)
	waitConnected(t, bc)
	next := strings.Replace(roomConfig, `video: all}, {number: "801", name: Side, video: none}`, `video: none}`, 1)
	e := srv.Reload(mustParse(t, next))
	if !e.OK {
		t.Fatalf("reload: %+v", e)
	}
	alice.waitFor("conference", map[string]any{"call": id, "mode": "none"})
	bob.waitFor("call-state", map[string]any{"call": bid, "state": "ended", "reason": "room_removed"})
	if alice.find("call-state", map[string]any{"state": "ended"}) != nil || alice.find("error", nil) != nil {
		t.Fatal("the mode change dropped or upset a participant")
	}
}

func TestInvalidReloadKeepsRunningConfig(t *testing.T) {
	srv := startServer(t, roomConfig)
	file := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(file, []byte(roomConfig+"policy: {mixer: {top_k: 0}}\nhttp: {lisen: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := srv.ReloadFile(file)
	if e.OK || len(e.Errors) == 0 || !strings.Contains(strings.Join(e.Errors, "\n"), "lisen") {
		t.Fatalf("bad file accepted or not explained: %+v", e)
	}
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	if h := srv.History(); len(h) != 1 || h[0].OK {
		t.Fatalf("history %+v", h)
	}
}

func TestReloadRemovingExtensionLogsItOutAndKeepsOtherCalls(t *testing.T) {
	srv := startServer(t, roomConfig)
	alice, carol := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1003", "pw1003")
	bobBrowser := newBrowser(t, srv)
	bobBrowser.login("1002", "pw1002")
	bob := bobBrowser.mustTab()
	id, ac, cc := connect(t, alice, carol, "1003")
	next := strings.Replace(roomConfig, `  - {number: "1002", name: Bob, password: pw1002, xphone: true}`+"\n", "", 1)
	e := srv.Reload(mustParse(t, next))
	if len(e.LoggedOut) != 1 || e.LoggedOut[0] != "1002" {
		t.Fatalf("logged out %v", e.LoggedOut)
	}
	if !bob.closed(3 * time.Second) {
		t.Fatal("removed extension's tab still open")
	}
	if resp, _ := bobBrowser.post("api/login", map[string]string{"ext": "1002", "password": "pw1002"}); resp.StatusCode == 200 {
		t.Fatal("removed extension can still log in")
	}
	ac.StartSending('A')
	cc.StartSending('C')
	waitUntil(t, "the other call still talks", func() bool { return ac.Received('C') > 5 })
	if alice.find("call-state", map[string]any{"call": id, "state": "ended"}) != nil {
		t.Fatal("an unrelated call was dropped")
	}
}
