package sfu

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"xphone/configs"
	"xphone/sfu/sfutest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testLogger() *slog.Logger {
	if os.Getenv("XPHONE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testMediaConfig advertises loopback only.
func testMediaConfig() configs.Media { return configs.Media{Interfaces: []string{"lo"}} }

func testMediaAPI(t *testing.T) *MediaAPI {
	t.Helper()
	api, err := NewMediaAPI(testMediaConfig(), nil, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	return api
}

// newClientLeg connects a fake browser to a new server leg.
func newClientLeg(t testing.TB, api *MediaAPI, number string, video bool) (*sfutest.Client, *WebRTCLeg) {
	t.Helper()
	c, err := sfutest.NewClient(video)
	if err != nil {
		t.Fatal(err)
	}
	return c, connectClient(t, api, number, c)
}

// connectClient negotiates a server leg for an existing fake browser.
func connectClient(t testing.TB, api *MediaAPI, number string, c *sfutest.Client) *WebRTCLeg {
	t.Helper()
	return connectClientAs(t, api, number, c, nil)
}

// connectClientAs is connectClient with the client's offer rewritten by
// rewrite first (as another browser would write it); nil leaves it.
func connectClientAs(t testing.TB, api *MediaAPI, number string, c *sfutest.Client, rewrite func(string) string) *WebRTCLeg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Cleanup(func() { _ = c.Close() })
	offer, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rewrite != nil {
		offer = rewrite(offer)
	}
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: number, Name: "N" + number}, offer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), ReasonHangup) })
	if err := c.Answer(answer); err != nil {
		t.Fatal(err)
	}
	if err := c.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	return leg
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// talking starts c sending marked audio as someone who speaks: a silent
// client sends DTX (one packet per 400 ms), too few for rate checks.
func talking(c *sfutest.Client, marker byte) {
	c.Level.CompareAndSwap(127, 60)
	c.StartSending(marker)
}
