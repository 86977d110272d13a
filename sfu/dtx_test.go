package sfu

import (
	"context"
	"strings"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// TestAnswerAsksForDTX: the answer's Opus fmtp carries usedtx=1, which is
// what makes Chrome and Firefox stop sending 50 packets a second while
// their user is silent (the mixer and the speaker meter treat a gap as
// silence), so a room's silent majority costs the server next to nothing.
func TestAnswerAsksForDTX(t *testing.T) {
	api := testMediaAPI(t)
	c, err := sfutest.NewClient(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offer, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, offer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), ReasonHangup) })
	var fmtp string
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "a=fmtp:111 ") {
			fmtp = l
		}
	}
	if !strings.Contains(fmtp, "usedtx=1") || !strings.Contains(fmtp, "useinbandfec=1") {
		t.Fatalf("answer's Opus fmtp %q, want usedtx=1 and useinbandfec=1", fmtp)
	}
}
