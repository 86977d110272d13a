package mixer

// SetCoders replaces the coders that new decoders and encoders come from (a
// policy reload) and, when they are a Tuner, applies their settings to
// every encoder the mixer already holds: the shared mix's, each talker's
// and the spares'. The encoders keep their state, so nobody hears a codec
// reset; the next frame is encoded with the new settings. Call it from the
// goroutine that ticks. It returns the first error; the other encoders
// are tuned all the same.
func (m *Mixer) SetCoders(c Coders) error {
	m.coders = c
	t, ok := c.(Tuner)
	if !ok {
		return nil
	}
	var first error
	tune := func(e Encoder) {
		if e == nil {
			return
		}
		if err := t.Tune(e); err != nil && first == nil {
			first = err
		}
	}
	tune(m.shared.enc)
	for _, p := range *m.parts.Load() {
		tune(p.own.enc)
	}
	for _, e := range m.spare.encoders {
		tune(e)
	}
	return first
}
