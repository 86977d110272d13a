package sfu

import "math"

// fecFrom is the least reported loss that turns Opus in-band FEC on in a
// room's mix; below it the bits go to quality instead.
const fecFrom = 0.01

// maxFECLoss caps the loss the encoders are tuned for (percent): more FEC
// eats the mix's bitrate, and beyond this concealment does better.
const maxFECLoss = 30

// adaptFEC tunes the mix encoders to the worst audio loss a participant's
// browser reports (RTCP receiver reports): with loss, every listener's
// Opus packets carry in-band FEC of the frame before, so one lost packet
// is rebuilt from the next instead of concealed. Runs once a second.
func (c *Conference) adaptFEC() {
	worst := 0.0
	for _, m := range c.members {
		if m.audioDown != nil {
			worst = max(worst, m.audioDown.Loss())
		}
	}
	percent := 0
	if worst >= fecFrom {
		percent = min(maxFECLoss, int(math.Ceil(worst*100)))
	}
	c.mix.SetPacketLoss(percent)
}
