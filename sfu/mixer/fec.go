package mixer

import "xphone/sfu/codec"

// SetPacketLoss tells the mix encoders how much loss their receivers report
// (percent, 0..100): Opus then adds in-band FEC (LBRR) sized for it, from
// which a receiver rebuilds a lost frame out of the next packet; 0 turns
// it off. Encoders taken later get the same. Call it from the goroutine
// that ticks.
func (m *Mixer) SetPacketLoss(percent int) {
	percent = min(max(percent, 0), 100)
	if percent == m.loss {
		return
	}
	m.loss = percent
	setLoss(m.shared.enc, percent)
	for _, p := range *m.parts.Load() {
		setLoss(p.own.enc, percent)
	}
}

// PacketLoss is the loss percentage the encoders are set for.
func (m *Mixer) PacketLoss() int { return m.loss }

func setLoss(e Encoder, percent int) {
	if f, ok := e.(codec.FECEncoder); ok && e != nil {
		_ = f.SetPacketLoss(percent)
	}
}
