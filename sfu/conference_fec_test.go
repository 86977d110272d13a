package sfu

import (
	"context"
	"testing"
)

// TestMixFECFollowsReportedLoss: a participant whose browser reports 5 %
// audio loss turns the mix's in-band FEC on (tuned to 6 %), and off again
// when the loss goes away.
func TestMixFECFollowsReportedLoss(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoNone)
	a := joinRoom(t, api, rooms, "1001", false)
	joinRoom(t, api, rooms, "1002", false)
	down := firstDown(a.leg, Audio)
	lossAfter := func(fraction uint8) int {
		down.noteLoss(fraction)
		var got int
		if err := a.conf.do(context.Background(), func() {
			a.conf.adaptFEC()
			got = a.conf.mix.PacketLoss()
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := lossAfter(13); got != 6 { // 13/256 = 5.1 %
		t.Fatalf("FEC tuned for %d %% at 5.1 %% reported loss, want 6", got)
	}
	if got := lossAfter(1); got != 0 { // 0.4 %: not worth it
		t.Fatalf("FEC tuned for %d %% at 0.4 %% loss, want off", got)
	}
	if got := lossAfter(200); got != maxFECLoss {
		t.Fatalf("FEC tuned for %d %% at 78 %% loss, want the cap %d", got, maxFECLoss)
	}
}
