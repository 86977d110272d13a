package mixer

// Skip moves the mix on by n frames without producing them: the room's
// loop woke up so late that producing every frame it owes would only add
// delay. Timestamps count frames, so every stream's next timestamp jumps by
// the frames skipped and the receivers' RTP clocks keep following wall time
// (they conceal the gap); the next packet carries the marker bit. Call it
// from the goroutine that ticks.
func (m *Mixer) Skip(n int) {
	if n <= 0 {
		return
	}
	m.tick += int64(n)
	m.shared.skip()
	for _, p := range *m.parts.Load() {
		p.own.skip()
	}
}

// skip sends what is held and marks the gap.
func (s *stream) skip() {
	s.flush()
	s.gap = true
}
