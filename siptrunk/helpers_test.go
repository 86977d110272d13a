package siptrunk

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

func testLogger() *slog.Logger {
	if os.Getenv("XPHONE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// baresipSIP is the baresip peer's SIP address.
const baresipSIP = testpeers.DefaultBaresipSIP

// startBaresip runs baresip (default addresses, 440 Hz tone) with
// accounts; it stops in t.Cleanup.
func startBaresip(t *testing.T, accounts ...string) *testpeers.Baresip {
	t.Helper()
	return testpeers.StartBaresip(t, testpeers.BaresipOptions{Accounts: accounts})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ourSIP is Xphone's SIP and media address in the tests.
const (
	ourSIP = "127.0.0.1:5060"
	ourIP  = "127.0.0.1"
)

// newTestTrunk starts a trunk towards baresip with dial rule "0." and
// stops it in t.Cleanup.
func newTestTrunk(t *testing.T, tc configs.Trunk, placer Placer) *Trunk {
	t.Helper()
	if tc.Name == "" {
		tc.Name = "pbx"
	}
	if tc.Address == "" {
		tc.Address = baresipSIP
	}
	if tc.Listen == "" {
		tc.Listen = ourSIP
	}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP,
		Dialplan:   []configs.DialRule{{Pattern: "0.", Trunk: tc.Name, Permission: "national"}},
		Permission: func(string) string { return "national" }}, placer, testLogger())
	must(t, err)
	must(t, tr.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Close(ctx); err != nil {
			t.Errorf("trunk close: %v", err)
		}
	})
	return tr
}

// browserLeg connects a fake browser (pion) to a server leg.
func browserLeg(t *testing.T, api *sfu.MediaAPI, number string) (*sfutest.Client, *sfu.WebRTCLeg) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sfutest.NewClient(false)
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	offer, err := c.Offer(ctx)
	must(t, err)
	leg, answer, err := api.NewWebRTCLeg(ctx, sfu.Identity{Number: number, Name: "N" + number}, offer)
	must(t, err)
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), sfu.ReasonHangup) })
	must(t, c.Answer(answer))
	must(t, c.Connected(ctx))
	return c, leg
}

func testMediaAPI(t *testing.T) *sfu.MediaAPI {
	t.Helper()
	api, err := sfu.NewMediaAPI(configs.Media{Interfaces: []string{"lo"}}, nil, testLogger())
	must(t, err)
	t.Cleanup(api.Close)
	return api
}

// observer records call progress.
type observer struct {
	mu        sync.Mutex
	ringing   chan struct{}
	connected chan struct{}
	once1     sync.Once
	once2     sync.Once
}

func newObserver() *observer {
	return &observer{ringing: make(chan struct{}), connected: make(chan struct{})}
}

func (o *observer) Ringing(string) { o.once1.Do(func() { close(o.ringing) }) }
func (o *observer) Connected(string, sfu.Identity, bool, time.Time) {
	o.once2.Do(func() { close(o.connected) })
}

// waitFor waits for ch or fails after d.
func waitFor(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}

// countingPlacer counts calls that reached call control and refuses them.
type countingPlacer struct{ n atomic.Int32 }

func (p *countingPlacer) Place(sfu.PlaceRequest) (string, error) {
	p.n.Add(1)
	return "", sfu.ErrClosed
}
