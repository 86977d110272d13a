package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/audiolevel"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
	"xphone/store"
	"xphone/web/auth"
)

// fuzzConfig has two extensions and a conference room, so fuzzed dials can
// ring a tab, join a room or reach nobody.
const fuzzConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo]}
rooms: [{number: "800", name: Room, video: all}]
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
`

// fuzzShared is what every input's server reuses: the credentials (they
// are immutable), the session store, the media API (its RTCP clock idles
// without legs) and a loopback HTTP server that makes WebSocket pairs.
type fuzzShared struct {
	cfg   *configs.Config
	store *auth.Store
	db    *store.SQLite
	media *sfu.MediaAPI
	log   *slog.Logger
	http  *httptest.Server
	conns chan *websocket.Conn // server ends of new pairs
}

func newFuzzShared(tb testing.TB) *fuzzShared {
	cfg, err := configs.Parse([]byte(fuzzConfig))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sh := &fuzzShared{cfg: cfg, log: log, conns: make(chan *websocket.Conn, 1)}
	if sh.store, err = auth.NewStore(cfg.Extensions, tb.TempDir(), log, auth.WithCost(4)); err != nil {
		tb.Fatal(err)
	}
	if sh.db, err = store.Open(context.Background(), filepath.Join(tb.TempDir(), store.FileName)); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sh.db.Close() })
	if sh.media, err = sfu.NewMediaAPI(cfg.Media, &sfu.Stats{}, log); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sh.media.Close)
	sh.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			sh.conns <- ws
		}
	}))
	tb.Cleanup(sh.http.Close)
	return sh
}

// pair returns the two ends of a new loopback WebSocket.
func (sh *fuzzShared) pair(tb testing.TB) (server, client *websocket.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(sh.http.URL, "http"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	client.SetReadLimit(1 << 20)
	return <-sh.conns, client
}

// fuzzRig is one server with a tab of 1001 that receives the fuzzed
// messages and a passive tab of 1002 that is rung and never answers. Both
// are attached to real WebSockets whose far ends read what the server
// writes.
type fuzzRig struct {
	srv    *Server
	calls  *sfu.Calls
	tab    *tab
	callee *tab

	mu   sync.Mutex
	bad  string   // the first malformed message the server sent, if any
	seen []string // call ids the fuzzed tab was told about, newest last
	wg   sync.WaitGroup
}

func newFuzzRig(tb testing.TB, sh *fuzzShared) *fuzzRig {
	registry := NewRegistry(sh.store, sh.media, sh.log)
	rooms := sfu.NewConferences([]sfu.RoomSpec{{Number: "800", Name: "Room", Video: sfu.VideoMode("all")}}, sfu.ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: sfu.OpusCodecs{Bitrate: 32000, Complexity: 1},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}, sh.log)
	desk, err := NewDesk(DeskOptions{Store: sh.db, Registry: registry, Log: sh.log}, sh.cfg.History)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(desk.Close)
	desk.SetDirectory(sh.cfg.Extensions, nil)
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 5 * time.Second, Rooms: rooms,
		DoNotDisturb: desk.DoNotDisturb, Recorder: desk}, sh.log, registry)
	srv, err := New(Options{Config: sh.cfg, Store: sh.store, Sessions: auth.NewSessions(sh.db, time.Hour, time.Now),
		Throttle: auth.NewThrottle(sh.cfg.Login, time.Now), Media: sh.media, Calls: calls, Registry: registry, Desk: desk, Log: sh.log})
	if err != nil {
		tb.Fatal(err)
	}
	r := &fuzzRig{srv: srv, calls: calls}
	r.tab, r.callee = r.open(tb, sh, "1001", true), r.open(tb, sh, "1002", false)
	return r
}

// open makes a tab of ext on a real socket whose far end reads (and, if
// check, checks) every message.
func (r *fuzzRig) open(tb testing.TB, sh *fuzzShared, number string, check bool) *tab {
	ext, _ := r.srv.store.Load().Lookup(number)
	t, _, err := r.srv.tabFor("", ext, "token-"+number, "127.0.0.1")
	if err != nil {
		tb.Fatal(err)
	}
	server, client := sh.pair(tb)
	c := newTabConn(server)
	t.attach(c, false)
	r.wg.Add(2)
	go func() { defer r.wg.Done(); c.wait() }()
	go func() {
		defer r.wg.Done()
		for {
			_, msg, err := client.Read(context.Background())
			if err != nil {
				return
			}
			if check {
				r.note(msg)
			}
		}
	}()
	return t
}

// note checks one server message: a JSON object with a type.
func (r *fuzzRig) note(msg []byte) {
	var m struct {
		Type string `json:"type"`
		Call string `json:"call"`
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal(msg, &m); err != nil || m.Type == "" {
		if r.bad == "" {
			r.bad = string(msg)
		}
		return
	}
	if m.Call != "" {
		r.seen = append(r.seen, m.Call)
	}
}

// lastCall is the newest call id the tab heard of, for "$CALL".
func (r *fuzzRig) lastCall() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return "call-none"
	}
	return r.seen[len(r.seen)-1]
}

// close ends both tabs as the server does (their calls hung up, their
// sockets closed) and waits for every goroutine of the rig.
func (r *fuzzRig) close() {
	for _, t := range []*tab{r.tab, r.callee} {
		r.srv.finishTab(t, sfu.ReasonHangup, websocket.StatusNormalClosure, "")
	}
	r.wg.Wait()
	r.calls.Close()
}

// legsCounted is the call legs counted against 1001's cap.
func (r *fuzzRig) legsCounted() int {
	r.srv.mu.Lock()
	defer r.srv.mu.Unlock()
	return r.srv.legsOf["1001"]
}

// FuzzSignalling feeds the WebSocket message path (decode, then the tab's
// handlers: dial, accept, decline, hangup, answer, hold, transfer) with
// arbitrary messages, one per line; "$CALL" stands for the newest call id
// the tab was told about, so mutations reach the in-call handlers. The
// server must not panic, must answer only JSON objects with a type, and
// after the tab's calls are hung up no call leg may stay counted against
// the extension's cap.
func FuzzSignalling(f *testing.F) {
	offer := fuzzOffer(f)
	seeds := []string{
		`{"type":"dial","req":"r1","to":"1002","sdp":` + offer + `}` + "\n" + `{"type":"hangup","call":"$CALL"}`,
		`{"type":"dial","req":"r1","to":"800","sdp":` + offer + `}` + "\n" + `{"type":"answer","call":"$CALL","sdp":"v=0"}`,
		`{"type":"dial","req":"r1","to":"1002","sdp":` + offer + `}` + "\n" + `{"type":"hold","call":"$CALL","on":true}` +
			"\n" + `{"type":"transfer","call":"$CALL","to":"800"}`,
		`{"type":"transfer","call":"$CALL","consult":"$CALL"}`,
		`{"type":"accept","call":"$CALL","sdp":"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\n"}`,
		`{"type":"decline","call":"call-1"}`,
		`{"type":"dial","to":"","sdp":""}`,
		`{"type":"dial","to":"5555","sdp":"v=0 garbage","video":true,"pin":"1234"}`,
		`{"type":"teleport"}`,
		`{"type":"hangup","call":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}`,
		`[1,2,3]`, `{"type":null}`, `{"type":"dial","to":7}`, `{oops`, "", "\x00\xff",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	shared := newFuzzShared(f)
	f.Fuzz(func(t *testing.T, input string) {
		// A fresh server per input: no call or room outlives its input, so
		// the coverage the fuzzer sees is this input's alone.
		rig := newFuzzRig(t, shared)
		for _, line := range bytes.Split([]byte(input), []byte("\n")) {
			line = bytes.ReplaceAll(line, []byte("$CALL"), []byte(rig.lastCall()))
			typ := websocket.MessageText
			if bytes.HasPrefix(line, []byte("BIN")) {
				typ = websocket.MessageBinary
			}
			rig.tab.receive(typ, line)
		}
		rig.close()
		rig.mu.Lock()
		bad := rig.bad
		rig.mu.Unlock()
		if bad != "" {
			t.Fatalf("the server sent a message that is not a JSON object with a type: %q", bad)
		}
		rig.tab.mu.Lock()
		left := len(rig.tab.calls)
		rig.tab.mu.Unlock()
		if left != 0 {
			t.Fatalf("%d calls left on the tab after it was closed", left)
		}
		if legs := rig.legsCounted(); legs != 0 {
			t.Fatalf("%d call legs still counted against 1001 after every call ended", legs)
		}
	})
}

// fuzzOffer is a real WebRTC offer as a JSON string, for the seeds.
func fuzzOffer(tb testing.TB) string {
	c, err := sfutest.NewClient(false)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sdp, err := c.Offer(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := json.Marshal(sdp)
	return string(out)
}

// TestFuzzRigCountsLegs checks the fuzz target's invariant can fail: a leg
// counted and never released shows.
func TestFuzzRigCountsLegs(t *testing.T) {
	rig := newFuzzRig(t, newFuzzShared(t))
	rig.tab.receive(websocket.MessageText, []byte(fmt.Sprintf(`{"type":"dial","req":"a","to":"800","sdp":%s}`, fuzzOffer(t))))
	deadline := time.Now().Add(10 * time.Second)
	for rig.legsCounted() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the dial runs on a worker
	}
	if n := rig.legsCounted(); n != 1 {
		rig.close()
		t.Fatalf("a dial counted %d legs, want 1", n)
	}
	rig.close()
	if n := rig.legsCounted(); n != 0 {
		t.Fatalf("%d legs counted after the tab closed", n)
	}
}
