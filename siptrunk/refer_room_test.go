package siptrunk

import (
	"context"
	"strings"
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/mixer"
)

// TestReferToRoomDespiteDialRule: the PBX REFERs our browser party to
// conference room 800 while dial rule 8. (national; the trunk has no
// refer_permission) also matches 800. The local number wins: 202, the
// referrer's leg ends "transferred" and the browser joins room 800 — no
// 403 "800 needs national", no INVITE.
func TestReferToRoomDespiteDialRule(t *testing.T) {
	cfg := sfu.ConferenceConfig{Mixer: mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: sfu.OpusCodecs{}, Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now}
	rooms := sfu.NewConferences([]sfu.RoomSpec{{Number: "800", Name: "Board", Video: sfu.VideoNone}}, cfg, testLogger())
	_, browser := browserLeg(t, testMediaAPI(t), "1001")
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 10 * time.Second, Rooms: rooms}, testLogger(),
		&fakeExtension{number: "1001", leg: browser})
	tc := configs.Trunk{Name: "pbx", Address: "127.0.0.2:5099", Listen: ourSIP, Media: "rtp", Codecs: []string{"pcmu"},
		Inbound: map[string]string{"4930": "1001"}}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Dialplan: []configs.DialRule{{Pattern: "8.", Trunk: "pbx", Permission: "national"}},
		Local: func(n string) bool { return n == "1001" || rooms.Reaches(n) }}, calls, testLogger())
	must(t, err)
	must(t, tr.Start())
	t.Cleanup(func() {
		calls.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Close(ctx)
	})
	peer := newRawSocket(t, "127.0.0.2:5099")
	d := establishRawWith(t, tr, peer, "refer-room", plainOffer)
	leg := tr.legFor("refer-room")
	waitUntil(t, 5*time.Second, "the call placed", func() bool { return leg.callID != "" })
	line := d.request(t, "REFER", "Refer-To: <sip:800@127.0.0.1>\r\n", "")
	if !strings.Contains(line, " 202 ") {
		t.Fatalf("REFER to room 800: %q, want 202", strings.SplitN(line, "\n", 2)[0])
	}
	for deadline := time.Now().Add(10 * time.Second); rooms.Legs("800") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the browser never joined room 800")
		}
		if req, ok := peer.await(" SIP/2.0", 100*time.Millisecond); ok {
			peer.send(t, okTo(req)) // our NOTIFYs and the referrer's BYE
		}
	}
	waitFor(t, leg.Done(), 5*time.Second, "the referrer's leg ended")
	if r := leg.EndReason(); r != sfu.ReasonTransferred {
		t.Errorf("referrer's leg ended %s, want transferred", r)
	}
	select {
	case <-browser.Done():
		t.Error("the browser's leg ended instead of joining the room")
	default:
	}
	if n := tr.Stats.Invites.Load(); n != 0 {
		t.Errorf("%d INVITEs for a REFER to a room", n)
	}
}
