package rtcpclock

import "sync"

// logSize is how many sequence numbers a stream's receive log remembers:
// 1–5 s of video, far longer than a retransmission is worth waiting for.
const logSize = 512

// receiveLog records which of a stream's recent sequence numbers arrived
// and how often each missing one was asked for again.
type receiveLog struct {
	mu      sync.Mutex
	seen    [logSize / 64]uint64
	tries   [logSize]uint8
	end     uint16 // newest sequence number received
	known   int    // sequence numbers up to end the log covers, ≤ logSize
	started bool
}

// add notes that seq arrived. Packets older than the window are ignored; a
// jump of a whole window or more either way starts the log over, as after a
// sender restart.
func (l *receiveLog) add(seq uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	diff := int(int16(seq - l.end))
	switch {
	case !l.started || diff >= logSize || diff <= -logSize:
		l.seen, l.tries = [logSize / 64]uint64{}, [logSize]uint8{}
		l.started, l.end, l.known = true, seq, 1
	case diff > 0:
		for s := l.end + 1; s != seq; s++ {
			l.forget(s)
		}
		l.end, l.known = seq, min(logSize, l.known+diff)
	case -diff >= l.known:
		return
	}
	l.seen[seq%logSize/64] |= 1 << (seq % 64)
	l.tries[seq%logSize] = 0
}

// forget clears the slot seq takes over from the sequence number one window
// older.
func (l *receiveLog) forget(s uint16) {
	l.seen[s%logSize/64] &^= 1 << (s % 64)
	l.tries[s%logSize] = 0
}

// missing appends to out the sequence numbers in the window that have not
// arrived and were asked for fewer than maxTries times, and counts this ask.
func (l *receiveLog) missing(out []uint16, maxTries uint8) []uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := l.known - 1; i >= 0; i-- {
		s := l.end - uint16(i)
		if l.seen[s%logSize/64]&(1<<(s%64)) != 0 || l.tries[s%logSize] >= maxTries {
			continue
		}
		l.tries[s%logSize]++
		out = append(out, s)
	}
	return out
}
