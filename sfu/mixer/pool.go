package mixer

// idleTicks is how long (5 s) a participant keeps their coders after they
// stop talking, so a pause does not cost a codec reset.
const idleTicks = 250

// coderPool keeps a few released coders for the next talkers. It is used
// only from the tick.
type coderPool struct {
	decoders []Decoder
	encoders []Encoder
}

// equip gives p a decoder and encoder, from the pool or new. It reports
// false when a coder cannot be made; p is then not mixed this tick.
func (m *Mixer) equip(p *Participant) bool {
	if p.pcm == nil { // a frame of PCM only for whoever is decoded
		p.pcm = make([]int16, m.cfg.Frame)
	}
	if p.dec == nil {
		if n := len(m.spare.decoders); n > 0 {
			p.dec, m.spare.decoders = m.spare.decoders[n-1], m.spare.decoders[:n-1]
		} else if d, err := m.coders.NewDecoder(); err == nil {
			p.dec = d
		} else {
			return false
		}
	}
	if p.own.enc == nil {
		if n := len(m.spare.encoders); n > 0 {
			p.own.enc, m.spare.encoders = m.spare.encoders[n-1], m.spare.encoders[:n-1]
		} else if e, err := m.coders.NewEncoder(); err == nil {
			p.own.enc = e
		} else {
			return false
		}
		setLoss(p.own.enc, m.loss)
	}
	return true
}

// unequip returns a long-quiet participant's coders to the pool, keeping
// at most 2·TopK spares, and drops their PCM frame.
func (m *Mixer) unequip(p *Participant) {
	if p.dec != nil && len(m.spare.decoders) < 2*m.cfg.TopK {
		m.spare.decoders = append(m.spare.decoders, p.dec)
	}
	if p.own.enc != nil && len(m.spare.encoders) < 2*m.cfg.TopK {
		m.spare.encoders = append(m.spare.encoders, p.own.enc)
	}
	p.dec, p.own.enc, p.pcm = nil, nil, nil
}
