package siptrunk

import (
	"context"
	"time"
)

// Hold from our side. Call control tells each party's observer how the
// call's hold state looks from there (sfu.HoldObserver); a SIP leg is its
// own observer. When the other party holds, the peer gets a re-INVITE
// with a=sendonly: we keep sending (call control feeds the leg music on
// hold) and want nothing back. Resume re-INVITEs with a=sendrecv.

// holdRetry is how long a failed hold re-INVITE waits before one retry
// (a 491 glare with the peer's own re-INVITE, RFC 3261 §14.1).
const holdRetry = 500 * time.Millisecond

// HoldState implements sfu.HoldObserver. It must not block: the change
// is handed to the leg's dialog worker, a newer state replacing one not
// yet sent.
func (l *Leg) HoldState(_ string, _, remote bool) {
	select {
	case <-l.holdReq:
	default:
	}
	select {
	case l.holdReq <- remote:
	default:
	}
}

// holdLoop sends our hold/resume re-INVITEs in order until the leg ends.
func (l *Leg) holdLoop() {
	held := false
	for {
		select {
		case <-l.ctx.Done():
			return
		case on := <-l.holdReq:
			if on == held {
				continue
			}
			if err := l.sendHold(on); err != nil {
				l.log.Warn("hold re-INVITE failed", "hold", on, "err", err)
				continue
			}
			held = on
		}
	}
}

// sendHold re-INVITEs with the direction for on, retrying once.
func (l *Leg) sendHold(on bool) error {
	dir := "sendrecv"
	if on {
		dir = "sendonly"
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		ctx, cancel := context.WithTimeout(l.ctx, requestTimeout)
		err = l.reInvite(ctx, dir)
		cancel()
		if err == nil {
			l.ourDir.Store(dir)
			l.log.Info("our side hold sent to the peer", "direction", dir)
			return nil
		}
		select {
		case <-l.ctx.Done():
			return err
		case <-time.After(holdRetry):
		}
	}
	return err
}
