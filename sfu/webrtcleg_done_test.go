package sfu

import (
	"context"
	"testing"
	"time"
)

// AfterDone runs what is registered once the leg ends, at once when it
// has ended, and never what was stopped.
func TestWebRTCLegAfterDone(t *testing.T) {
	api := testMediaAPI(t)
	c, leg := newClientLeg(t, api, "1001", false)
	defer c.Close()
	ran := make(chan string, 3)
	stopped := leg.AfterDone(func() { ran <- "stopped" })
	leg.AfterDone(func() { ran <- "registered" })
	if !stopped() {
		t.Fatal("stop before the end did not stop it")
	}
	select {
	case what := <-ran:
		t.Fatalf("%q ran before the leg ended", what)
	case <-time.After(50 * time.Millisecond):
	}
	_ = leg.Hangup(context.Background(), ReasonHangup)
	stopLate := leg.AfterDone(func() { ran <- "late" })
	got := map[string]bool{}
	for range 2 {
		select {
		case what := <-ran:
			got[what] = true
		case <-time.After(2 * time.Second):
			t.Fatalf("only %v ran", got)
		}
	}
	if !got["registered"] || !got["late"] {
		t.Fatalf("ran %v, want registered and late", got)
	}
	if stopLate() {
		t.Fatal("stop after running reported stopping it")
	}
	select {
	case what := <-ran:
		t.Fatalf("%q ran too", what)
	case <-time.After(50 * time.Millisecond):
	}
}
