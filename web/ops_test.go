package web_test

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"xphone/internal/server"
)

// scrape reads /metrics from the metrics listener into name{labels} → value.
func scrape(t *testing.T, srv *server.Server) map[string]float64 {
	t.Helper()
	resp, err := http.Get(srv.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "xphone_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

func TestMetricsMoveDuringACall(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	b.post("api/login", map[string]string{"ext": "1001", "password": "bad"})
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	m0 := scrape(t, srv)
	if m0[`xphone_logins_total{result="failed"}`] != 1 || m0[`xphone_logins_total{result="ok"}`] != 2 {
		t.Fatalf("login counters: %v", m0)
	}
	if m0["xphone_tabs_open"] != 2 || m0["xphone_calls_active"] != 0 {
		t.Fatalf("before the call: tabs %v calls %v", m0["xphone_tabs_open"], m0["xphone_calls_active"])
	}
	_, ac, bc := connect(t, alice, bob, "1002")
	ac.StartSending('A')
	bc.StartSending('B')
	waitUntil(t, "media flowing", func() bool { return ac.Received('B') > 10 })
	m1 := scrape(t, srv)
	if m1["xphone_calls_active"] != 1 || m1[`xphone_legs_active{kind="browser"}`] != 2 {
		t.Fatalf("during the call: calls %v legs %v", m1["xphone_calls_active"], m1[`xphone_legs_active{kind="browser"}`])
	}
	if m1["xphone_rtp_packets_forwarded_total"] <= m0["xphone_rtp_packets_forwarded_total"]+20 {
		t.Fatalf("forwarded packets did not grow: %v → %v", m0["xphone_rtp_packets_forwarded_total"], m1["xphone_rtp_packets_forwarded_total"])
	}
	if _, ok := m1["xphone_rtp_packets_resent_total"]; !ok {
		t.Fatal("/metrics has no xphone_rtp_packets_resent_total: an admin cannot see lossy viewers")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	ui := strings.TrimSuffix(b.base, "xphone/")
	ops := strings.TrimSuffix(srv.MetricsURL(), "metrics")
	for _, url := range []string{ui + "healthz", ui + "readyz", ops + "healthz", ops + "readyz"} {
		if code, _ := fetch(t, b.http, url, ""); code != http.StatusOK {
			t.Fatalf("%s: %d", url, code)
		}
	}
	_ = srv.Close()
}

// fetch GETs url with an optional Authorization header.
func fetch(t *testing.T, hc *http.Client, url, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetricsExposure: by default /metrics is only on the loopback metrics
// listener, never on the UI port; a token guards it wherever it is served.
func TestMetricsExposure(t *testing.T) {
	const token = "0123456789abcdef0123"
	tests := []struct {
		name         string
		config       string
		onUI, onOps  bool // served where
		needsToken   bool
		opsListening bool
	}{
		{"default: own loopback listener only", "", false, true, false, true},
		{"token on the own listener", "metrics: {token: " + token + "}\n", false, true, true, true},
		{"no listener, token: UI port behind the token", "metrics: {listen: \"\", token: " + token + "}\n", true, false, true, false},
		{"no listener, no token: nowhere", "metrics: {listen: \"\"}\n", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &lockedBuffer{}
			srv := startServer(t, tt.config+testConfig, func(o *server.Options) {
				o.Logger = slog.New(slog.NewTextHandler(logs, nil))
				if !tt.opsListening {
					o.MetricsAddr = ""
				}
			})
			b := newBrowser(t, srv)
			if got := srv.MetricsURL() != ""; got != tt.opsListening {
				t.Fatalf("metrics listener running: %v, want %v", got, tt.opsListening)
			}
			ui := strings.TrimSuffix(b.base, "xphone/") + "metrics"
			checkServed(t, b.http, ui, tt.onUI, tt.needsToken, token)
			if tt.opsListening {
				checkServed(t, b.http, srv.MetricsURL(), tt.onOps, tt.needsToken, token)
			}
			if tt.needsToken && !strings.Contains(strings.Join(logs.lines(), "\n"), `msg="security: metrics token refused" stream=security remote=127.0.0.1`) {
				t.Error("a refused token is not logged on the security stream")
			}
		})
	}
}

// checkServed asserts whether url serves metrics, and whether a token is
// needed for them.
func checkServed(t *testing.T, hc *http.Client, url string, served, needsToken bool, token string) {
	t.Helper()
	code, body := fetch(t, hc, url, "")
	switch {
	case !served:
		if code != http.StatusNotFound || strings.Contains(body, "xphone_") {
			t.Fatalf("%s: %d %.80q, want 404 and no metrics", url, code, body)
		}
		return
	case needsToken:
		if code != http.StatusUnauthorized || strings.Contains(body, "xphone_") {
			t.Fatalf("%s without token: %d, want 401", url, code)
		}
		if code, _ := fetch(t, hc, url, "Bearer wrong-token-0123456789"); code != http.StatusUnauthorized {
			t.Fatalf("%s with a wrong token: %d, want 401", url, code)
		}
		code, body = fetch(t, hc, url, "Bearer "+token)
	}
	if code != http.StatusOK || !strings.Contains(body, "xphone_tabs_open") {
		t.Fatalf("%s: %d, want 200 with metrics", url, code)
	}
}
