package web_test

import (
	"net/http"
	"strings"
	"testing"
)

const adminConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo]}
rooms: [{number: "800", name: Board, video: none}]
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
`

func TestAdminPageShowsRoomsCallsAndReloads(t *testing.T) {
	srv := startServer(t, adminConfig)
	anon := newBrowser(t, srv)
	anon.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, _ := anon.get("admin/"); resp.StatusCode != http.StatusFound {
		t.Fatalf("anonymous admin page: %d, want a redirect to login", resp.StatusCode)
	}
	bob := newBrowser(t, srv)
	bob.login("1002", "pw1002")
	if resp, _ := bob.get("admin/"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("non-admin: %d, want 403", resp.StatusCode)
	}
	bobTab := bob.mustTab()
	carol := loggedInTab(t, srv, "1003", "pw1003")
	connect(t, bobTab, carol, "1003")
	aliceB := newBrowser(t, srv)
	aliceB.login("1001", "pw1001")
	alice := aliceB.mustTab()
	_, ac := dial(t, alice, "800", false)
	waitConnected(t, ac)
	srv.Reload(mustParse(t, strings.Replace(adminConfig, "no_answer_timeout: 5s", "no_answer_timeout: 7s", 1)))
	waitUntil(t, "status shows the room and the call", func() bool {
		resp, body := aliceB.get("admin/")
		page := body["_body"].(string)
		return resp.StatusCode == http.StatusOK && strings.Contains(page, "800 Board") &&
			strings.Contains(page, "1001 Alice") && strings.Contains(page, "1002 Bob — browser, opus, DTLS-SRTP") &&
			strings.Contains(page, "1003 Carol — browser, opus, DTLS-SRTP") && strings.Contains(page, "live: calls")
	})
	// A single node is a cluster of one: the page lists it with its load.
	_, body := aliceB.get("admin/")
	if page := body["_body"].(string); !strings.Contains(page, "<h2>Cluster</h2>") || !strings.Contains(page, "(this node)") ||
		!strings.Contains(page, "in rooms, CPU") || strings.Contains(page, "Redis is unreachable") {
		t.Errorf("the status page's cluster section is missing or wrong:\n%s", page)
	}
}

// TestAdminPageInRussian: the status page follows its reader's language:
// Accept-Language, or the UI's language choice (cookie), with counts in
// the language's plural forms.
func TestAdminPageInRussian(t *testing.T) {
	srv := startServer(t, adminConfig)
	admin := newBrowser(t, srv)
	admin.login("1001", "pw1001")
	admin.mustTab()
	req, _ := http.NewRequest(http.MethodGet, admin.base+"admin/", nil)
	req.Header.Set("Accept-Language", "ru-RU,ru;q=0.9")
	_, body := admin.do(req)
	page := body["_body"].(string)
	for _, want := range []string{`<html lang="ru">`, "Состояние Xphone", "Конференц-комнаты", "Активных комнат нет.", "0</b>звонков", "1</b>вкладка браузера"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Russian status page lacks %q", want)
		}
	}
	if strings.Contains(page, "Conference rooms") {
		t.Error("the Russian status page has English headings")
	}
	req.AddCookie(&http.Cookie{Name: "xphone_lang", Value: "en"})
	if _, body := admin.do(req); !strings.Contains(body["_body"].(string), "Conference rooms") || !strings.Contains(body["_body"].(string), "1</b>browser tab<") {
		t.Errorf("the status page for a reader who chose English:\n%s", body["_body"])
	}
}
