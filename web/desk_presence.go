package web

// presenceChanged recomputes ext's presence (tabs, calls, rings and
// do-not-disturb) for the directory; filled in with the presence board.
func (d *Desk) presenceChanged(ext string) {}
