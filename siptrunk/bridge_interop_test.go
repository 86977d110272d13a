package siptrunk

import (
	"context"
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
)

// pbxRoomAccount is baresip as a PBX conference: it answers 0700 at once
// and plays its 440 Hz tone.
const pbxRoomAccount = "<sip:0700@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"

// bridgeSetup starts a trunk towards baresip (dial rule "0." needs
// national; the room's bridge has class perm), room 800 bridged to 0700,
// and the Bridges watching it.
func bridgeSetup(t *testing.T, perm string) (*Trunk, *sfu.Conferences, *sfu.Bridges) {
	t.Helper()
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: baresipSIP, Listen: ourSIP, Codecs: []string{"pcmu"}},
		MediaIP: ourIP, Dialplan: []configs.DialRule{{Pattern: "0.", Trunk: "pbx", Permission: "national"}},
		Permission: func(n string) string {
			if n == "800" {
				return perm
			}
			return "internal"
		}}, nil, testLogger())
	must(t, err)
	must(t, tr.Start())
	cfg := sfu.ConferenceConfig{Mixer: mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: sfu.OpusCodecs{}, Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now}
	rooms := sfu.NewConferences([]sfu.RoomSpec{{Number: "800", Name: "Board", Video: sfu.VideoNone}}, cfg, testLogger())
	bridges := sfu.NewBridges(rooms, []sfu.BridgeSpec{{Room: "800", Trunk: "pbx", Number: "0700"}},
		func(string) sfu.Dialer { return tr }, testLogger())
	bridges.MinBackoff, bridges.MaxBackoff = 100*time.Millisecond, 400*time.Millisecond
	t.Cleanup(func() {
		bridges.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = tr.Close(ctx)
	})
	return tr, rooms, bridges
}

// enterRoom800 connects a fake browser and puts it into room 800,
// answering the server's renegotiation offers like a browser.
func enterRoom800(t *testing.T, rooms *sfu.Conferences, number string) (*testClient, *sfu.Conference) {
	t.Helper()
	c, leg := browserLeg(t, testMediaAPI(t), number)
	c.Listen()
	leg.SetOfferHandler(func(offer string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if answer, err := c.AnswerOffer(ctx, offer); err == nil {
				_ = leg.ApplyAnswer(answer)
			}
		}()
	})
	conf, err := rooms.Join(context.Background(), "800", "", "call-"+number, leg, nopRoomObserver{})
	must(t, err)
	return &testClient{Client: c, leg: leg}, conf
}

// testClient is a fake browser with its server leg.
type testClient struct {
	*sfutest.Client
	leg *sfu.WebRTCLeg
}

// nopRoomObserver ignores room events.
type nopRoomObserver struct{}

func (nopRoomObserver) Joined(string, sfu.RoomSpec, string) {}
func (nopRoomObserver) Roster(string, []sfu.Member)         {}
func (nopRoomObserver) Speakers(string, string, []string)   {}
func (nopRoomObserver) VideoSlots(string, []sfu.Slot)       {}

// TestRoomBridge: the first participant's join dials the PBX conference
// (baresip, auto-answer, 440 Hz); the participant hears it through the
// room's mix; when the participant leaves, baresip gets BYE.
func TestRoomBridge(t *testing.T) {
	b := startBaresip(t, pbxRoomAccount)
	_, rooms, _ := bridgeSetup(t, "national")
	start := time.Now()
	p, conf := enterRoom800(t, rooms, "1001")
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	t.Logf("bridge established %s after the first join", time.Since(start).Round(time.Millisecond))
	if n := rooms.Legs("800"); n != 2 {
		t.Errorf("room 800 has %d legs, want 2 (participant and bridge)", n)
	}
	p.Level.Store(20) // RFC 6464 level of the tone, so the mixer picks it
	must(t, p.StartTone(1000, 16000))
	time.Sleep(3 * time.Second)
	db := testpeers.ToneDB(p.Heard(time.Second), 48000, 440)
	t.Logf("participant hears the PBX room's 440 Hz tone at %.1f dBFS", db)
	if db < -35 {
		t.Errorf("PBX room's tone too weak in the room: %.1f dB", db)
	}
	rooms.Leave(conf, p.leg)
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	b.CheckRecording(t, 1000, -35)
	if n := rooms.Legs("800"); n != 0 {
		t.Errorf("room 800 still has %d legs after the last participant left", n)
	}
}

// TestRoomBridgeRefused: the dial plan refuses the bridge (its class is
// internal, the rule needs national): the room works without it, the
// bridge is retried with growing backoff, and stops when the room empties.
func TestRoomBridgeRefused(t *testing.T) {
	tr, rooms, bridges := bridgeSetup(t, "internal")
	p1, conf := enterRoom800(t, rooms, "1001")
	p2, conf2 := enterRoom800(t, rooms, "1002")
	time.Sleep(1500 * time.Millisecond)
	n := bridges.Attempts("800")
	t.Logf("bridge attempts in 1.5 s with 100→400 ms backoff: %d", n)
	if n < 3 || n > 8 {
		t.Errorf("attempts = %d, want 3..8 (retried with backoff)", n)
	}
	if got := rooms.Legs("800"); got != 2 {
		t.Errorf("room has %d legs, want the 2 participants", got)
	}
	if tr.Stats.Invites.Load() != 0 {
		t.Error("a refused bridge sent an INVITE")
	}
	rooms.Leave(conf2, p2.leg)
	rooms.Leave(conf, p1.leg)
	time.Sleep(600 * time.Millisecond)
	if a := bridges.Attempts("800"); a != 0 {
		t.Errorf("bridge still running after the room emptied (attempts %d)", a)
	}
}
