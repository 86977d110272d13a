package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/web/auth"
)

// registrar is a minimal UDP SIP registrar: it answers every REGISTER 200
// and remembers "user expires" per request.
type registrar struct {
	conn net.PacketConn
	mu   sync.Mutex
	seen []string
	done chan struct{}
}

func startRegistrar(t *testing.T) *registrar {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &registrar{conn: c, done: make(chan struct{})}
	go r.serve()
	t.Cleanup(func() { _ = c.Close(); <-r.done })
	return r
}

func (r *registrar) serve() {
	defer close(r.done)
	buf := make([]byte, 4096)
	for {
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "REGISTER ") {
			continue
		}
		var keep []string
		user, expires := "", ""
		for _, l := range strings.Split(msg, "\r\n") {
			name, val, _ := strings.Cut(l, ":")
			switch strings.ToLower(name) {
			case "via", "from", "to", "call-id", "cseq":
				keep = append(keep, l)
			case "expires":
				expires = strings.TrimSpace(val)
			}
			if strings.EqualFold(name, "from") {
				user = strings.Split(strings.Split(val, "@")[0], "sip:")[1]
			}
		}
		r.mu.Lock()
		r.seen = append(r.seen, user+" "+expires)
		r.mu.Unlock()
		res := "SIP/2.0 200 OK\r\n" + strings.Join(keep, "\r\n") + "\r\nExpires: " + expires + "\r\nContent-Length: 0\r\n\r\n"
		_, _ = r.conn.WriteTo([]byte(res), from)
	}
}

// saw reports whether a REGISTER "user expires" arrived.
func (r *registrar) saw(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.seen {
		if x == s {
			return true
		}
	}
	return false
}

func waitTrue(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const reloadBase = `
media: {interfaces: [lo]}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, permission: national}
`

func trunkYAML(reg, name, listen, user string) string {
	return `
trunks:
  - name: ` + name + `
    address: "` + reg + `"
    listen: "` + listen + `"
    register: {user: "` + user + `", password: pw, expiry: 60s}
dialplan:
  - {pattern: "0.", trunk: ` + name + `, permission: national}
`
}

// TestReloadTrunksLive: adding a trunk starts and registers it; changing
// it replaces it (the old one unregisters); removing it unregisters it;
// the dial plan follows; nothing needs a restart.
func TestReloadTrunksLive(t *testing.T) {
	reg := startRegistrar(t)
	regAddr := reg.conn.LocalAddr().String()
	parse := func(y string) *configs.Config {
		cfg, err := configs.Parse([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	srv, err := Start(context.Background(), Options{Config: parse(reloadBase), DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AuthOptions: []auth.Option{auth.WithCost(4)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	e := srv.Reload(parse(reloadBase + trunkYAML(regAddr, "pbx", "127.0.0.1:0", "alice")))
	if !e.OK || len(e.NeedsRestart) > 0 {
		t.Fatalf("add trunk: %+v", e)
	}
	waitTrue(t, 5*time.Second, "REGISTER from the added trunk", func() bool { return reg.saw("alice 60") })
	if !srv.trunks.Reaches("0301234") {
		t.Error("dial plan of the added trunk not in force")
	}
	checkMetrics(t, srv, `xphone_sip_requests_total{direction="out",method="REGISTER",trunk="pbx"} 1`,
		`xphone_sip_responses_total{class="2xx",direction="in",trunk="pbx"} 1`,
		`xphone_sip_events_total{event="dropped_source",trunk="pbx"} 0`)
	bridged := "rooms: [{number: \"800\", bridge: {trunk: pbx, number: \"0700\", permission: national}}]\n"
	e = srv.Reload(parse(reloadBase + bridged + trunkYAML(regAddr, "pbx", "127.0.0.1:0", "bob")))
	t.Logf("change: applied %v", e.Applied)
	if p := srv.roomClass("800"); p != "national" {
		t.Errorf("bridge of room 800 dials with class %q, want national", p)
	}
	waitTrue(t, 5*time.Second, "old trunk unregisters", func() bool { return reg.saw("alice 0") })
	waitTrue(t, 5*time.Second, "replacement registers", func() bool { return reg.saw("bob 60") })
	if n := len(srv.trunks.All()); n != 1 {
		t.Errorf("%d trunks running after change, want 1", n)
	}
	e = srv.Reload(parse(reloadBase))
	t.Logf("remove: applied %v", e.Applied)
	waitTrue(t, 5*time.Second, "removed trunk unregisters", func() bool { return reg.saw("bob 0") })
	if n := len(srv.trunks.All()); n != 0 || srv.trunks.Reaches("0301234") {
		t.Errorf("trunk still routing after removal (%d running)", n)
	}
}

// checkMetrics scrapes /metrics (the metrics listener) and looks for every
// line in want.
func checkMetrics(t *testing.T, srv *Server, want ...string) {
	t.Helper()
	res, err := http.Get(srv.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, w := range want {
		if !strings.Contains(string(body), w+"\n") {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(string(body), "\n") {
			if strings.Contains(l, "xphone_sip") {
				t.Log(l)
			}
		}
	}
}
