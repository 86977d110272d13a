package siptrunk

import (
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// backToBack is a call between two of our own trunks, for what baresip
// cannot do: browser 1001 calls 04930 through trunk A to trunk B, which
// rings browser 2001.
type backToBack struct {
	clientA, clientB *sfutest.Client
	legA, legB       *sfu.WebRTCLeg
	trA, trB         *Trunk
}

// connectBackToBack sets up the call; a and b give each trunk's settings
// beyond its name, addresses and route.
func connectBackToBack(t *testing.T, a, b configs.Trunk) *backToBack {
	t.Helper()
	api := testMediaAPI(t)
	bb := &backToBack{}
	bb.clientA, bb.legA = browserLeg(t, api, "1001")
	bb.clientB, bb.legB = browserLeg(t, api, "2001")
	// Call control exists before trunk B starts: it is B's placer.
	callsB := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), &fakeExtension{number: "2001", leg: bb.legB})
	t.Cleanup(callsB.Close)
	b.Name, b.Address, b.Listen, b.Inbound = "b", "127.0.0.1:5060", "127.0.0.1:5062", map[string]string{"04930": "2001"}
	bb.trB = newTestTrunk(t, b, callsB)
	a.Name, a.Address = "a", "127.0.0.1:5062"
	bb.trA = newTestTrunk(t, a, nil)
	callsA := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), bb.trA)
	t.Cleanup(callsA.Close)
	obs := newObserver()
	_, err := callsA.Place(sfu.PlaceRequest{Caller: bb.legA, To: "04930", Observer: obs})
	must(t, err)
	waitFor(t, obs.connected, 15*time.Second, "back-to-back call connected")
	// B's dialog is established when A's ACK arrives, just after A connects.
	waitUntil(t, 2*time.Second, "B's dialog", func() bool { return onlyLeg(t, bb.trB).dlg.Load() != nil })
	return bb
}
