package sfu

// SetWatcher registers f to be told (with the room's number) after every
// join and leave of a conference room; room bridges use it. f runs on the
// joining or leaving goroutine with no lock held, so it may call back
// into Conferences.
func (cs *Conferences) SetWatcher(f func(number string)) {
	cs.watch.Store(&f)
}

// AddWatcher registers another f like SetWatcher's (the rooms' cascade
// across nodes uses it); it is never removed.
func (cs *Conferences) AddWatcher(f func(number string)) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var fs []func(string)
	if old := cs.more.Load(); old != nil {
		fs = append(fs, *old...)
	}
	fs = append(fs, f)
	cs.more.Store(&fs)
}

func (cs *Conferences) changed(number string) {
	if f := cs.watch.Load(); f != nil {
		(*f)(number)
	}
	if fs := cs.more.Load(); fs != nil {
		for _, f := range *fs {
			f(number)
		}
	}
}

// Legs is the number of legs in room number (0 when not live).
func (cs *Conferences) Legs(number string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if lr := cs.live[number]; lr != nil {
		return lr.refs
	}
	return 0
}
