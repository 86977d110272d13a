package engine

import (
	"errors"
	"os"
	"time"
)

// HoldMax bounds how long a BatchHolder may keep its batch waiting for the
// rest of a video frame: the read loop stops waiting for datagrams then
// and has the holder send.
const HoldMax = 3 * time.Millisecond

// BatchHolder is the egress batch of the read goroutine's forwarding when
// it may wait for more datagrams before sending: a video frame whose
// packets arrive in several recvmmsg calls reaches each viewer as one GSO
// message if the batch is sent once the frame is complete. After each
// read the loop asks Held; while it says so, the next read waits at most
// HoldMax from the first hold, and when that passes with nothing read the
// loop calls FlushHeld. Both run in the read goroutine.
type BatchHolder interface {
	Held() bool
	FlushHeld()
}

// SetHolder installs the read loop's BatchHolder (nil: none). Set it
// before peers carry media; the read loop reads it per recvmmsg call.
func (e *Engine) SetHolder(h BatchHolder) {
	if h == nil {
		e.holder.Store(nil)
		return
	}
	e.holder.Store(&h)
}

// afterBatch arms the read deadline while the holder holds, and disarms it
// once it sent on its own.
func (l *loop) afterBatch() {
	h := l.e.holder.Load()
	held := h != nil && (*h).Held()
	switch {
	case held && !l.deadline:
		l.setDeadline(time.Now().Add(HoldMax))
	case !held && l.deadline:
		l.setDeadline(time.Time{})
	}
}

// holdExpired handles a read that ended because the hold's time passed:
// the holder sends what it kept. It reports whether err was that.
func (l *loop) holdExpired(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	l.setDeadline(time.Time{})
	if h := l.e.holder.Load(); h != nil {
		(*h).FlushHeld()
	}
	return true
}

func (l *loop) setDeadline(t time.Time) {
	l.deadline = !t.IsZero()
	_ = l.e.conn.SetReadDeadline(t) // fails only on a closed socket, which the read reports
}
