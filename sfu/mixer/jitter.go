package mixer

import "sync"

// Jitter buffer geometry: 8 slots (160 ms) of at most maxPayload bytes;
// playout starts once prebuffer packets are queued (40 ms with 20 ms
// packets).
const (
	ringSize   = 8
	maxPayload = 1500
	prebuffer  = 2
	// maxUnderruns consecutive empty ticks stop playout until the buffer
	// refills, so a paused sender resumes with fresh prebuffering.
	maxUnderruns = 3
	// maxDepth bounds the queue (100 ms): beyond it the oldest packets are
	// dropped, so a sender whose clock runs fast cannot build up delay.
	maxDepth = 5
)

// popResult is what the jitter buffer had for one tick.
type popResult int

const (
	popEmpty   popResult = iota // nothing to play: not started or drained
	popGot                      // the expected packet
	popLost                     // the expected packet is missing, later ones exist
	popConceal                  // nothing queued yet while playing: conceal, keep waiting
)

// slot holds one packet. Its buffer grows to the largest packet the slot
// has held (a few hundred bytes for voice) instead of a fixed maxPayload,
// so that the silent majority of a big room costs little memory; it is
// reused, so the push path allocates only while a talker's packets grow.
type slot struct {
	seq   uint16
	n     int
	valid bool
	buf   []byte
}

// jitterBuffer reorders one talker's packets by sequence number. The read
// loop pushes and the mixer tick pops; the mutex is held only for a copy.
type jitterBuffer struct {
	mu        sync.Mutex
	slots     [ringSize]slot
	next      uint16 // sequence number to play next
	playing   bool
	draining  bool // too deep: skipping one packet per pop down to prebuffer+1
	underruns int
	count     int
}

// push stores a copy of payload; late and oversize packets are dropped.
func (j *jitterBuffer) push(seq uint16, payload []byte) bool {
	if len(payload) > maxPayload {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.playing {
		ahead := seq - j.next
		if ahead >= 0x8000 { // late: already played or skipped
			return false
		}
		if ahead >= ringSize { // far ahead: the sender jumped; restart there
			j.resetLocked()
		}
	}
	s := &j.slots[seq%ringSize]
	if !s.valid {
		j.count++
	}
	s.buf = append(s.buf[:0], payload...)
	s.seq, s.n, s.valid = seq, len(payload), true
	if !j.playing && j.count >= prebuffer {
		j.startLocked()
	}
	return true
}

// pop copies the next packet into dst.
func (j *jitterBuffer) pop(dst []byte) (int, popResult) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.playing {
		return 0, popEmpty
	}
	j.drainLocked()
	s := &j.slots[j.next%ringSize]
	if s.valid && s.seq == j.next {
		n := copy(dst, s.buf[:s.n])
		s.valid = false
		j.count--
		j.next++
		j.underruns = 0
		return n, popGot
	}
	if j.count == 0 {
		if j.underruns++; j.underruns >= maxUnderruns {
			j.resetLocked()
			return 0, popEmpty
		}
		// A late packet: conceal this frame and wait for it rather than
		// play silence (a click) or give it up.
		return 0, popConceal
	}
	j.next++
	return 0, popLost
}

// drainLocked bounds the delay: once more than maxDepth packets are queued
// (a burst after a stall, or a sender whose clock runs fast), it skips one
// packet per pop until prebuffer+1 remain. Dropping them one at a time
// leaves 20 ms steps the decoder smooths over, where trimming the whole
// excess at once cut 60-80 ms out of the speech.
func (j *jitterBuffer) drainLocked() {
	if j.count > maxDepth {
		j.draining = true
	}
	if !j.draining {
		return
	}
	if j.count <= prebuffer+1 {
		j.draining = false
		return
	}
	s := &j.slots[j.next%ringSize]
	if s.valid && s.seq == j.next {
		s.valid = false
		j.count--
	}
	j.next++
}

// trim drops all but the newest keep packets: a participant who was not
// mixed has queued stale audio, and becoming a talker must not replay it.
func (j *jitterBuffer) trim(keep int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.trimLocked(keep)
}

func (j *jitterBuffer) trimLocked(keep int) {
	if !j.playing {
		return
	}
	for skipped := 0; j.count > keep && skipped < ringSize; skipped++ {
		s := &j.slots[j.next%ringSize]
		if s.valid && s.seq == j.next {
			s.valid = false
			j.count--
		}
		j.next++
	}
}

// peekNext returns the payload after the one just lost, for FEC.
func (j *jitterBuffer) peekNext(dst []byte) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := &j.slots[j.next%ringSize]
	if !j.playing || !s.valid || s.seq != j.next {
		return 0
	}
	return copy(dst, s.buf[:s.n])
}

// startLocked begins playout at the oldest queued packet.
func (j *jitterBuffer) startLocked() {
	first, found := uint16(0), false
	for i := range j.slots {
		s := &j.slots[i]
		if s.valid && (!found || seqBefore(s.seq, first)) {
			first, found = s.seq, true
		}
	}
	j.next, j.playing, j.underruns = first, true, 0
}

func (j *jitterBuffer) resetLocked() {
	for i := range j.slots {
		j.slots[i].valid = false
	}
	j.count, j.playing, j.draining, j.underruns = 0, false, false, 0
}

// seqBefore reports whether a precedes b in RTP sequence order.
func seqBefore(a, b uint16) bool { return a != b && b-a < 0x8000 }
