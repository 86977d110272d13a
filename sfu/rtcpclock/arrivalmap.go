package rtcpclock

// arrivalMap keeps the arrival times (µs, -1 for not received) of a
// window of unwrapped transport-wide sequence numbers [begin, end) in a
// power-of-two ring: pion's packetArrivalTimeMap (after Chrome's
// packet_arrival_map), which twccRecorder's feedback must match.
type arrivalMap struct {
	times      []int64
	begin, end int64
}

const (
	minArrivalCapacity = 128
	maxArrivalPackets  = 1 << 15
)

func (m *arrivalMap) add(sn, at int64) {
	switch {
	case m.times == nil:
		m.realloc(minArrivalCapacity)
		m.begin, m.end = sn, sn+1
	case sn >= m.begin && sn < m.end:
	case sn < m.begin:
		size := int(m.end - sn)
		if size > maxArrivalPackets {
			return // would push out newer packets
		}
		m.adjust(size)
		m.setNotReceived(sn+1, m.begin)
		m.begin = sn
	default:
		newEnd := sn + 1
		if newEnd >= m.end+maxArrivalPackets {
			m.begin, m.end = sn, newEnd
			break
		}
		if m.begin < newEnd-maxArrivalPackets {
			m.begin = newEnd - maxArrivalPackets
		}
		m.adjust(int(newEnd - m.begin))
		m.setNotReceived(m.end, sn)
		m.end = newEnd
	}
	m.times[m.index(sn)] = at
}

func (m *arrivalMap) setNotReceived(from, to int64) {
	for sn := from; sn < to; sn++ {
		m.times[m.index(sn)] = -1
	}
}

// findNextAtOrAfter returns the first received packet from sn on.
func (m *arrivalMap) findNextAtOrAfter(sn int64) (int64, int64, bool) {
	for seq := m.clamp(sn); seq < m.end; seq++ {
		if at := m.get(seq); at >= 0 {
			return seq, at, true
		}
	}
	return -1, -1, false
}

// removeOld drops packets from the beginning while they are before sn and
// arrived no later than limit.
func (m *arrivalMap) removeOld(sn, limit int64) {
	to := min(sn, m.end)
	for m.begin < to && m.get(m.begin) <= limit {
		m.begin++
	}
	m.adjust(int(m.end - m.begin))
}

func (m *arrivalMap) hasReceived(sn int64) bool { return m.get(sn) >= 0 }

func (m *arrivalMap) clamp(sn int64) int64 { return max(m.begin, min(sn, m.end)) }

func (m *arrivalMap) get(sn int64) int64 {
	if sn < m.begin || sn >= m.end {
		return -1
	}
	return m.times[m.index(sn)]
}

func (m *arrivalMap) index(sn int64) int { return int(sn & int64(len(m.times)-1)) }

// adjust grows the ring to hold size packets, or shrinks one four times
// too large.
func (m *arrivalMap) adjust(size int) {
	if c := len(m.times); size > c {
		for c < size {
			c *= 2
		}
		m.realloc(c)
	}
	if c := len(m.times); c > max(minArrivalCapacity, size*4) {
		for c >= 2*max(size, minArrivalCapacity) {
			c /= 2
		}
		m.realloc(c)
	}
}

func (m *arrivalMap) realloc(c int) {
	times := make([]int64, c)
	for sn := m.begin; sn < m.end; sn++ {
		times[int(sn&int64(c-1))] = m.get(sn)
	}
	m.times = times
}
