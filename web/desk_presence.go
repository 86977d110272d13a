package web

import (
	"time"

	"xphone/sfu"
)

// The presence of Xphone's own extensions, on the same board as the PBX
// phones the trunks watch (sfu.PresenceBoard), so the directory shows
// both alike: Available (a tab open), On a call (a call in a tab, being
// dialled or answered), Ringing, Do not disturb, Offline (no tab). Changes
// come from the registry (tabs, calls, rings) and from do-not-disturb;
// one goroutine the desk owns turns them into board states, coalescing
// bursts, so nobody who reports a change waits or holds a lock meanwhile.

// startPresence begins feeding board; nil board: no presence.
func (d *Desk) startPresence() {
	if d.board == nil {
		return
	}
	d.registry.onChange(d.presenceChanged)
	if d.cp != nil {
		d.cp.start(d.presenceChanged, d.presenceWake)
	}
	d.wg.Add(1)
	go d.presenceLoop()
}

// presenceWake makes the presence loop run.
func (d *Desk) presenceWake() {
	select {
	case d.presWake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// presenceChanged notes that ext's presence may have changed.
func (d *Desk) presenceChanged(ext string) {
	if d.board == nil {
		return
	}
	d.presMu.Lock()
	d.dirty[ext] = true
	d.presMu.Unlock()
	d.presenceWake()
}

func (d *Desk) presenceLoop() {
	defer d.wg.Done()
	resend := time.NewTicker(presenceResend)
	defer resend.Stop()
	if d.cp != nil {
		defer d.cp.stop()
	}
	for {
		due := false
		select {
		case <-d.stop:
			return
		case <-d.presWake:
		case <-resend.C:
			due = true
		}
		d.presMu.Lock()
		dirty := d.dirty
		d.dirty = map[string]bool{}
		d.presMu.Unlock()
		for ext := range dirty {
			if d.isExtension(ext) {
				d.board.Set(ext, d.shownPresence(ext))
			}
		}
		if d.cp != nil {
			d.cp.snapshot(due)
		}
	}
}

// shownPresence is ext's state on this node merged with the other nodes'.
func (d *Desk) shownPresence(ext string) sfu.PresenceState {
	st := d.presenceOf(ext)
	if d.cp == nil {
		return st
	}
	return d.cp.local(ext, st)
}

// presenceOf is what the directory shows for ext now.
func (d *Desk) presenceOf(ext string) sfu.PresenceState {
	online, inCall, rung := d.registry.activity(ext)
	switch {
	case inCall:
		return sfu.PresenceOnCall
	case rung:
		return sfu.PresenceRinging
	case d.DoNotDisturb(ext):
		return sfu.PresenceDND
	case online:
		return sfu.PresenceAvailable
	}
	return sfu.PresenceOffline
}

// presenceOfDirectory puts every Xphone extension on the board and takes
// those no longer configured off it (start and reload).
func (d *Desk) presenceOfDirectory(old, dir *directory) {
	if d.board == nil {
		return
	}
	for number, e := range old.extensions {
		if ne, ok := dir.extensions[number]; e.Xphone && (!ok || !ne.Xphone) {
			d.board.Forget(number)
		}
	}
	for number, e := range dir.extensions {
		if e.Xphone {
			d.presenceChanged(number)
		}
	}
}
