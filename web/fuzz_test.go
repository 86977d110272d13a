package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/audiolevel"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
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
// are immutable) and the media API (its RTCP clock idles without legs).
type fuzzShared struct {
	cfg   *configs.Config
	store *auth.Store
	media *sfu.MediaAPI
	log   *slog.Logger
}

func newFuzzShared(tb testing.TB) *fuzzShared {
	cfg, err := configs.Parse([]byte(fuzzConfig))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := auth.NewStore(cfg.Extensions, tb.TempDir(), log, auth.WithCost(4))
	if err != nil {
		tb.Fatal(err)
	}
	media, err := sfu.NewMediaAPI(cfg.Media, &sfu.Stats{}, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(media.Close)
	return &fuzzShared{cfg: cfg, store: store, media: media, log: log}
}

// fuzzRig is one server with a tab of 1001 that receives the fuzzed
// messages and a passive tab of 1002 that is rung and never answers.
type fuzzRig struct {
	srv    *Server
	calls  *sfu.Calls
	tab    *tab
	callee *tab

	mu    sync.Mutex
	bad   string   // the first malformed message the server sent, if any
	seen  []string // call ids the fuzzed tab was told about, newest last
	drain sync.WaitGroup
}

func newFuzzRig(tb testing.TB, sh *fuzzShared) *fuzzRig {
	registry := NewRegistry(sh.store, sh.media, sh.log)
	rooms := sfu.NewConferences([]sfu.RoomSpec{{Number: "800", Name: "Room", Video: sfu.VideoMode("all")}}, sfu.ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: sfu.OpusCodecs{Bitrate: 32000, Complexity: 1},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}, sh.log)
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 5 * time.Second, Rooms: rooms}, sh.log, registry)
	srv, err := New(Options{Config: sh.cfg, Store: sh.store, Sessions: auth.NewSessions(time.Hour, time.Now),
		Throttle: auth.NewThrottle(sh.cfg.Login, time.Now), Media: sh.media, Calls: calls, Registry: registry, Log: sh.log})
	if err != nil {
		tb.Fatal(err)
	}
	r := &fuzzRig{srv: srv, calls: calls}
	r.tab, r.callee = r.open("1001", true), r.open("1002", false)
	return r
}

// open adds a tab of ext whose messages are drained (and checked if check).
func (r *fuzzRig) open(number string, check bool) *tab {
	ext, _ := r.srv.store.Load().Lookup(number)
	t := newTab(r.srv, ext, "token-"+number, "127.0.0.1")
	if err := r.srv.addTab(t); err != nil {
		panic(err)
	}
	r.drain.Add(1)
	go func() {
		defer r.drain.Done()
		for {
			select {
			case <-t.ctx.Done():
				return
			case msg := <-t.out:
				if check {
					r.note(msg)
				}
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

// close ends both tabs and every call and waits for their goroutines.
func (r *fuzzRig) close() {
	for _, t := range []*tab{r.tab, r.callee} {
		t.cancel()
		r.srv.registry.forgetTab(t)
		t.hangupAll()
		r.srv.removeTab(t)
	}
	r.drain.Wait()
	r.calls.Close()
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
		defer rig.close()
		for _, line := range bytes.Split([]byte(input), []byte("\n")) {
			line = bytes.ReplaceAll(line, []byte("$CALL"), []byte(rig.lastCall()))
			typ := websocket.MessageText
			if bytes.HasPrefix(line, []byte("BIN")) {
				typ = websocket.MessageBinary
			}
			rig.tab.receive(typ, line)
		}
		rig.tab.hangupAll()
		rig.mu.Lock()
		bad := rig.bad
		rig.mu.Unlock()
		if bad != "" {
			t.Fatalf("the server sent a message that is not a JSON object with a type: %q", bad)
		}
		if n := rig.tab.activeCalls(); n != 0 {
			t.Fatalf("%d calls left on the tab after hanging up", n)
		}
		rig.srv.mu.Lock()
		legs := rig.srv.legsOf["1001"]
		rig.srv.mu.Unlock()
		if legs != 0 {
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
	defer rig.close()
	rig.tab.receive(websocket.MessageText, []byte(fmt.Sprintf(`{"type":"dial","req":"a","to":"800","sdp":%s}`, fuzzOffer(t))))
	rig.srv.mu.Lock()
	legs := rig.srv.legsOf["1001"]
	rig.srv.mu.Unlock()
	if legs != 1 {
		t.Fatalf("a dial counted %d legs, want 1", legs)
	}
	rig.tab.hangupAll()
	rig.srv.mu.Lock()
	legs = rig.srv.legsOf["1001"]
	rig.srv.mu.Unlock()
	if legs != 0 {
		t.Fatalf("%d legs counted after the hang-up", legs)
	}
}
