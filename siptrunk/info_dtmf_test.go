package siptrunk

import (
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// TestInfoDTMFBackToBack: baresip 1.0 can receive SIP INFO DTMF but not
// send it, so INFO from the peer is proven between two of our trunks:
// browser 1001 calls 04930 through trunk A (dtmf: info) to trunk B
// (dtmf: info), which rings browser 2001. Keys go both ways as INFO and
// arrive as DTMF at the other browser.
func TestInfoDTMFBackToBack(t *testing.T) {
	api := testMediaAPI(t)
	_, legA := browserLeg(t, api, "1001")
	_, legB := browserLeg(t, api, "2001")
	// Call control exists before trunk B starts: it is B's placer.
	callsB := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), &fakeExtension{number: "2001", leg: legB})
	t.Cleanup(callsB.Close)
	trB := newTestTrunk(t, configs.Trunk{Name: "b", Address: "127.0.0.1:5060", Listen: "127.0.0.1:5062", DTMF: "info",
		Codecs: []string{"pcmu"}, Inbound: map[string]string{"04930": "2001"}}, callsB)
	trA := newTestTrunk(t, configs.Trunk{Name: "a", Address: "127.0.0.1:5062", DTMF: "info", Codecs: []string{"pcmu"}}, nil)
	callsA := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), trA)
	t.Cleanup(callsA.Close)
	obs := newObserver()
	_, err := callsA.Place(sfu.PlaceRequest{Caller: legA, To: "04930", Observer: obs})
	must(t, err)
	waitFor(t, obs.connected, 15*time.Second, "back-to-back call connected")
	// B's dialog is established when A's ACK arrives, just after A connects.
	waitUntil(t, 2*time.Second, "B's dialog", func() bool { return onlyLeg(t, trB).dlg.Load() != nil })

	gotB := make(chan rune, 4)
	legB.SetDTMFSink(func(d rune) { gotB <- d })
	gotA := make(chan rune, 4)
	legA.SetDTMFSink(func(d rune) { gotA <- d })
	for _, step := range []struct {
		from *sfu.WebRTCLeg
		to   chan rune
		key  rune
	}{{legB, gotA, '7'}, {legA, gotB, '5'}} {
		sipLeg := otherSIPLeg(t, step.from, trA, trB)
		sipLeg.SendDTMF(step.key) // what call control does with the browser's key
		select {
		case d := <-step.to:
			if d != step.key {
				t.Errorf("INFO DTMF %q arrived as %q", step.key, d)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("INFO DTMF %q did not arrive", step.key)
		}
	}
}

// otherSIPLeg is the SIP leg in from's call on the trunk that is not
// from's own: the leg whose peer is the other trunk.
func otherSIPLeg(t *testing.T, from *sfu.WebRTCLeg, trA, trB *Trunk) *Leg {
	t.Helper()
	if from.Identity().Number == "1001" {
		return onlyLeg(t, trA)
	}
	return onlyLeg(t, trB)
}
