package mixer

import "slices"

// Tick mixes one frame: choose the talkers, decode them, give each talker
// the sum of the others and everyone else the sum of all talkers. The
// room's ticker calls it every 20 ms; it must not run concurrently with
// itself. It allocates nothing in steady state.
func (m *Mixer) Tick() {
	m.tick++
	m.Stats.Ticks.Add(1)
	parts := *m.parts.Load()
	if m.cfg.SharedFrames == 0 {
		if g := AutoSharedFrames(len(parts)); g != m.shared.group {
			m.shared.setGroup(g)
		}
	}
	m.chooseTalkers(parts)
	clear(m.total)
	for _, p := range m.talkers {
		if err := p.decode(&m.payload); err != nil {
			m.Stats.Errors.Add(1)
		}
		m.Stats.Decodes.Add(1)
		for i, s := range p.pcm {
			m.total[i] += int32(s)
		}
	}
	m.mixAnnouncement()
	for _, p := range parts {
		if p.talker != p.wasTalker() {
			p.route(p.talker)
		}
	}
	for _, p := range m.talkers {
		for i, t := range m.total {
			m.out[i] = clip(t - int32(p.pcm[i]))
		}
		m.encode(p.own)
	}
	for i, t := range m.total {
		m.out[i] = clip(t)
	}
	m.encode(m.shared)
}

func (m *Mixer) encode(s *stream) {
	sent, err := s.write(m.out, uint32(m.tick)*uint32(m.cfg.Frame), uint32(m.cfg.Frame), !m.cfg.NoDTX)
	if err != nil {
		m.Stats.Errors.Add(1)
	}
	if sent {
		m.Stats.Encodes.Add(1)
	}
}

// chooseTalkers picks up to TopK participants: those talking now, loudest
// first, and recent talkers within HoldTicks so a pause between words does
// not drop someone from the mix.
func (m *Mixer) chooseTalkers(parts []*Participant) {
	m.talkers = m.talkers[:0]
	for _, p := range parts {
		p.prevTalker = p.talker
		p.talker = false
		p.rank = p.currentLevel()
		if p.muted.Load() {
			p.lastActive = -1 << 40 // muted: out of the mix at once, not after the hold
			continue
		}
		if p.rank <= m.cfg.Threshold {
			p.lastActive = m.tick
		}
		quiet := m.tick - p.lastActive
		if quiet <= int64(m.cfg.HoldTicks) {
			m.talkers = append(m.talkers, p)
		} else if quiet > idleTicks && p.dec != nil {
			m.unequip(p)
		}
	}
	slices.SortFunc(m.talkers, byLoudness)
	if len(m.talkers) > m.cfg.TopK {
		m.talkers = m.talkers[:m.cfg.TopK]
	}
	m.talkers = slices.DeleteFunc(m.talkers, func(p *Participant) bool {
		if !m.equip(p) {
			m.Stats.Errors.Add(1)
			return true
		}
		return false
	})
	for _, p := range m.talkers {
		p.talker = true
		if !p.prevTalker {
			p.jb.trim(prebuffer) // start from fresh audio, not what queued while unmixed
		}
	}
}

// byLoudness orders talking-now before held, louder (lower level) first,
// and current talkers before newcomers at equal level.
func byLoudness(a, b *Participant) int {
	if a.rank != b.rank {
		return int(a.rank) - int(b.rank)
	}
	if a.prevTalker != b.prevTalker {
		if a.prevTalker {
			return -1
		}
		return 1
	}
	return 0
}

func clip(v int32) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}

// Announce mixes pcm (mono, the mixer's rate) into what everyone hears,
// starting with the next tick: a short tone that tells the room something
// (recording started), heard by browser and SIP participants alike. Call
// it from the goroutine that ticks; a new announcement replaces one still
// playing.
func (m *Mixer) Announce(pcm []int16) { m.announce, m.announced = pcm, 0 }

// mixAnnouncement adds the next frame of the announcement to the total.
func (m *Mixer) mixAnnouncement() {
	if m.announced >= len(m.announce) {
		return
	}
	rest := m.announce[m.announced:]
	n := min(len(rest), len(m.total))
	for i, s := range rest[:n] {
		m.total[i] += int32(s)
	}
	m.announced += n
}
