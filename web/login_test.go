package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestLoginErrorsAreTheSameAndCookieIsStrict(t *testing.T) {
	srv := startServer(t, strings.Replace(testConfig, "max_failures: 3", "max_failures: 5", 1))
	b := newBrowser(t, srv)
	for _, c := range []struct{ ext, pw string }{{"1001", "wrong"}, {"7777", "pw1001"}, {"1009", "pw1001"}} {
		resp, body := b.post("api/login", map[string]string{"ext": c.ext, "password": c.pw})
		if resp.StatusCode != http.StatusUnauthorized || body["error"] != "Wrong extension or password" || body["code"] != "bad_credentials" {
			t.Fatalf("login %s/%s: %d %v", c.ext, c.pw, resp.StatusCode, body)
		}
	}
	// The right password of an extension without Xphone access is told why.
	resp, body := b.post("api/login", map[string]string{"ext": "1009", "password": "pw1009"})
	if resp.StatusCode != http.StatusForbidden || body["code"] != "no_access" || body["error"] != "This extension may not use Xphone" {
		t.Fatalf("login 1009 with its password: %d %v, want 403 no_access", resp.StatusCode, body)
	}
	resp, body = b.post("api/login", map[string]string{"ext": "1002", "password": "pw1002"})
	if resp.StatusCode != http.StatusOK || body["ext"] != "1002" || body["name"] != "Bob" {
		t.Fatalf("good login: %d %v", resp.StatusCode, body)
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"xphone_session=", "HttpOnly", "Secure", "SameSite=Strict", "Path=/xphone/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("cookie %q lacks %s", cookie, attr)
		}
	}
	if resp, body := b.get("api/session"); resp.StatusCode != http.StatusOK || body["ext"] != "1002" {
		t.Fatalf("session after login: %d %v", resp.StatusCode, body)
	}
}

func TestRepeatedFailuresLockOut(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	for i := 0; i < 3; i++ {
		b.post("api/login", map[string]string{"ext": "1001", "password": "nope"})
	}
	resp, body := b.post("api/login", map[string]string{"ext": "1001", "password": "pw1001"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures even the right password must be refused for a while: %d %v", resp.StatusCode, body)
	}
	if !strings.Contains(body["error"].(string), "try again in 15 minutes") || body["code"] != "locked_out" {
		t.Fatalf("lock-out message %v", body)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+"api/login", strings.NewReader(`{"ext":"1001","password":"pw1001"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
	if _, body := b.do(req); body["error"] != "Слишком много неудачных попыток, повторите через 15 минут" {
		t.Fatalf("Russian lock-out message %v", body)
	}
}

func TestMalformedLoginRequests(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	req, _ := http.NewRequest(http.MethodPost, b.base+"api/login", strings.NewReader("ext=1001&password=pw1001"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form post: %d, want 415", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPost, b.base+"api/login", strings.NewReader("{not json"))
	req.Header.Set("Content-Type", "application/json")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad json: %d, want 400", resp.StatusCode)
	}
}

func TestLogoutEndsSessionAndClosesTabs(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	tab := b.mustTab()
	if resp, _ := b.post("api/logout", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if !tab.closed(3 * time.Second) {
		t.Fatal("websocket still open after logout")
	}
	if resp, _ := b.get("api/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session after logout: %d", resp.StatusCode)
	}
}

func TestWebSocketNeedsSessionAndSameOrigin(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	if _, resp, err := b.openTab(nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("websocket without login: err %v resp %v", err, resp)
	}
	b.login("1001", "pw1001")
	if _, resp, err := b.openTab(http.Header{"Origin": {"https://evil.example"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v resp %v", err, resp)
	}
}

func TestBadSignallingGetsErrorsAndOversizeClosesSocket(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	tab := b.mustTab()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tab.conn.Write(ctx, websocket.MessageText, []byte("{oops"))
	tab.waitFor("error", map[string]any{"code": "bad_request"})
	tab.send(map[string]any{"type": "teleport"})
	tab.waitFor("error", map[string]any{"message": `unknown message type "teleport"`})
	tab.send(map[string]any{"type": "accept", "call": "call-nope", "sdp": "x"})
	tab.waitFor("error", map[string]any{"code": "unknown_call"})
	tab.send(map[string]any{"type": "dial", "to": "1002", "sdp": "v=0 garbage"})
	tab.waitFor("error", map[string]any{"code": "bad_request"})
	_ = tab.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"dial","sdp":"`+strings.Repeat("a", 70<<10)+`"}`))
	if !tab.closed(3 * time.Second) {
		t.Fatal("oversize message did not close the socket")
	}
}

func TestDisabledServesDisabledPageAndRefusesLogin(t *testing.T) {
	srv := startServer(t, "xphone: {enabled: false}\n"+testConfig)
	b := newBrowser(t, srv)
	resp, body := b.get("")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body["_body"].(string), "Xphone is disabled") {
		t.Fatalf("disabled page: %d %v", resp.StatusCode, body)
	}
	if resp, body := b.post("api/login", map[string]string{"ext": "1001", "password": "pw1001"}); resp.StatusCode != http.StatusServiceUnavailable || body["code"] != "disabled" {
		t.Fatalf("login while disabled: %d %v", resp.StatusCode, body)
	}
	// The page follows the browser's language, and the UI's choice (cookie) over it.
	req, _ := http.NewRequest(http.MethodGet, b.base, nil)
	req.Header.Set("Accept-Language", "ru")
	if _, body := b.do(req); !strings.Contains(body["_body"].(string), "Xphone отключён") || !strings.Contains(body["_body"].(string), `lang="ru"`) {
		t.Fatalf("disabled page for a Russian browser: %v", body)
	}
	req.AddCookie(&http.Cookie{Name: "xphone_lang", Value: "en"})
	if _, body := b.do(req); !strings.Contains(body["_body"].(string), "Xphone is disabled") {
		t.Fatalf("disabled page for a Russian browser that chose English: %v", body)
	}
}

func TestUIIsServedWithSecurityHeaders(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	resp, body := b.get("")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body["_body"].(string), "<html") {
		t.Fatalf("index: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if resp, _ := b.get("api/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown api: %d", resp.StatusCode)
	}
}
