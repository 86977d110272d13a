package web_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape reads /metrics into name{labels} → value.
func scrape(t *testing.T, b *browser) map[string]float64 {
	t.Helper()
	base := strings.TrimSuffix(b.base, "xphone/")
	resp, err := b.http.Get(base + "metrics")
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
	m0 := scrape(t, b)
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
	m1 := scrape(t, b)
	if m1["xphone_calls_active"] != 1 || m1[`xphone_legs_active{kind="browser"}`] != 2 {
		t.Fatalf("during the call: calls %v legs %v", m1["xphone_calls_active"], m1[`xphone_legs_active{kind="browser"}`])
	}
	if m1["xphone_rtp_packets_forwarded_total"] <= m0["xphone_rtp_packets_forwarded_total"]+20 {
		t.Fatalf("forwarded packets did not grow: %v → %v", m0["xphone_rtp_packets_forwarded_total"], m1["xphone_rtp_packets_forwarded_total"])
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	base := strings.TrimSuffix(b.base, "xphone/")
	for _, path := range []string{"healthz", "readyz"} {
		resp, err := b.http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/%s: %s", path, resp.Status)
		}
	}
	_ = srv.Close()
}
