package sfutest

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// nudgeAfter are the moments after the answer at which a client with
// Options.NominateAtOnce hands its ICE agent the server's candidate once
// more, until it connects. pion's agent nominates a pair only on its
// 200 ms check tick (ice's CheckInterval, which webrtc's SettingEngine
// does not reach), so a fake browser would join ≈ 200 ms later than
// Chromium, which nominates within a round trip of the first answered
// check. A new remote candidate makes the agent run its checks at once:
// the first such run after the server answered the initial check
// nominates that pair.
var nudgeAfter = []time.Duration{3 * time.Millisecond, 8 * time.Millisecond, 15 * time.Millisecond,
	30 * time.Millisecond, 60 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond}

// nominateSoon nudges the ICE agent (see nudgeAfter) with the candidates
// of the server's answer. The copies are server-reflexive, each with its
// own related port, so that the agent counts every one as new; they name
// the server's own address, so their checks are answered like the first.
func (c *Client) nominateSoon(answer string) {
	var cands []string
	for _, line := range strings.Split(answer, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "a=candidate:"); ok && strings.Contains(s, " typ host") {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return
	}
	start := time.Now()
	c.goOwned(func() {
		for i, at := range nudgeAfter {
			select {
			case <-c.stop:
				return
			case <-time.After(time.Until(start.Add(at))):
			}
			if s := c.pc.ICEConnectionState(); s == webrtc.ICEConnectionStateConnected || s == webrtc.ICEConnectionStateCompleted {
				return
			}
			for _, s := range cands {
				s, _, _ = strings.Cut(s, " typ host")
				nudge := fmt.Sprintf("candidate:%s typ srflx raddr 0.0.0.0 rport %d", s, 9+i)
				_ = c.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: nudge})
			}
		}
	})
}
