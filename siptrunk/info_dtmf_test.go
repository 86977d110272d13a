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
	info := configs.Trunk{DTMF: "info", Codecs: []string{"pcmu"}}
	bb := connectBackToBack(t, info, info)
	legA, legB, trA, trB := bb.legA, bb.legB, bb.trA, bb.trB

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
