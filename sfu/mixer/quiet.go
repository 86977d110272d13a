package mixer

// Quiet reports whether the mix has nothing to produce but keep-alives:
// nobody was mixed in the last tick (the hold included), no announcement
// is playing and no unmuted participant's last packet carried a talking
// level. A room's loop may then produce its frames in bursts (the frames
// of silence cost no encode); a talking packet must wake it (Talking).
// Call it from the goroutine that ticks.
func (m *Mixer) Quiet() bool {
	if len(m.talkers) > 0 || m.announced < len(m.announce) {
		return false
	}
	for _, p := range *m.parts.Load() {
		if m.Talking(uint8(p.level.Load())) && !p.muted.Load() {
			return false
		}
	}
	return true
}

// Talking reports whether an RFC 6464 level counts as talking (at or
// below the threshold). Safe from any goroutine.
func (m *Mixer) Talking(level uint8) bool { return uint32(level) <= m.threshold.Load() }
