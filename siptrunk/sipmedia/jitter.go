package sipmedia

import "github.com/pion/rtp"

// Jitter buffer sizes: packets are held for at most jbDepth later
// arrivals (≈60 ms of 20 ms packets) waiting for a missing one; the ring
// covers jbSlots sequence numbers, beyond which a jump restarts it.
const (
	jbSlots    = 16
	jbDepth    = 3
	jbMaxBytes = 1500
	// Packets up to jbLateWindow behind are late; further behind is a
	// restarted stream with the same SSRC, not ≈1 s of late packets.
	jbLateWindow = 64
)

// jbSlot holds one early packet: a copy of its header (without
// extensions and CSRCs, which the SIP leg does not use) and payload.
type jbSlot struct {
	used bool
	pkt  rtp.Packet
	n    int
	buf  [jbMaxBytes]byte
}

// jitterBuffer puts the peer's packets back in sequence order before
// decoding. A packet arriving in order goes out at once (no added delay);
// early ones wait until the gap is filled, or until jbDepth packets wait,
// when the missing ones are given up as lost. Late and duplicate packets
// are dropped. It does not allocate and has no goroutine: the caller's
// read loop drives it. Not safe for concurrent use.
type jitterBuffer struct {
	slots   [jbSlots]jbSlot
	next    uint16 // the sequence number due out
	ssrc    uint32
	started bool
	held    int

	Late, Lost, Reordered uint64 // counters for tests and logs
}

// push takes p (valid only during the call) and calls out for each packet
// that is now due, in order.
func (j *jitterBuffer) push(p *rtp.Packet, out func(*rtp.Packet)) {
	if !j.started || p.SSRC != j.ssrc {
		j.restart(p, out)
	}
	d := int16(p.SequenceNumber - j.next)
	switch {
	case d < 0 && d >= -jbLateWindow:
		j.Late++
		return
	case d < 0 || d >= jbSlots:
		j.flush(out) // a jump either way (peer restarted its stream): start over
		j.next = p.SequenceNumber
		d = 0
	}
	if d > 0 {
		j.hold(p, out)
		return
	}
	out(p)
	j.next++
	j.drain(out)
}

// restart forgets everything (first packet, or a new SSRC mid-call:
// pitfall 4) after giving out what was held.
func (j *jitterBuffer) restart(p *rtp.Packet, out func(*rtp.Packet)) {
	j.flush(out)
	j.started, j.ssrc, j.next = true, p.SSRC, p.SequenceNumber
}

// hold stores an early packet; when too many wait, the gap is skipped.
func (j *jitterBuffer) hold(p *rtp.Packet, out func(*rtp.Packet)) {
	s := &j.slots[p.SequenceNumber%jbSlots]
	if s.used || len(p.Payload) > jbMaxBytes {
		return // duplicate of an early packet, or absurdly large
	}
	s.used, s.n = true, copy(s.buf[:], p.Payload)
	s.pkt.Header = p.Header
	s.pkt.Header.Extension, s.pkt.Header.Extensions, s.pkt.Header.CSRC = false, nil, nil
	s.pkt.Payload = s.buf[:s.n]
	j.held++
	j.Reordered++
	if j.held > jbDepth {
		j.skipGap(out)
	}
}

// skipGap advances to the earliest held packet, counting the missing.
func (j *jitterBuffer) skipGap(out func(*rtp.Packet)) {
	for !j.slots[j.next%jbSlots].used {
		j.next++
		j.Lost++
	}
	j.drain(out)
}

// drain gives out held packets that are now in sequence.
func (j *jitterBuffer) drain(out func(*rtp.Packet)) {
	for {
		s := &j.slots[j.next%jbSlots]
		if !s.used || s.pkt.SequenceNumber != j.next {
			return
		}
		out(&s.pkt)
		s.used = false
		j.held--
		j.next++
	}
}

// flush gives out everything held, in order, and empties the ring.
func (j *jitterBuffer) flush(out func(*rtp.Packet)) {
	for i := 0; j.held > 0 && i < jbSlots; i++ {
		if j.slots[j.next%jbSlots].used {
			j.drain(out)
			continue
		}
		j.next++
	}
	for i := range j.slots {
		j.slots[i].used = false
	}
	j.held = 0
}
