package web

import (
	"context"
	"errors"
	"fmt"

	"xphone/store"
)

// settingDND is the store key of do-not-disturb ("1" when on).
const settingDND = "dnd"

type dndMsg struct {
	Type string `json:"type"` // dnd
	On   bool   `json:"on"`
}

func (d *Desk) loadDND() error {
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	all, err := d.db.SettingEverywhere(ctx, settingDND)
	if err != nil {
		return fmt.Errorf("web: do-not-disturb: %w", err)
	}
	for ext, v := range all {
		if v == "1" {
			d.dnd[ext] = true
		}
	}
	return nil
}

// DoNotDisturb reports whether number has do-not-disturb on; call control
// asks it before ringing anyone (sfu.CallsConfig.DoNotDisturb).
func (d *Desk) DoNotDisturb(number string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dnd[number]
}

// SetDND turns ext's do-not-disturb on or off, keeps it in the store and
// tells every tab of ext. It fails, changing nothing, when the store does.
func (d *Desk) SetDND(ext string, on bool) error {
	d.dndMu.Lock()
	defer d.dndMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	var err error
	if on {
		err = d.db.PutSetting(ctx, ext, settingDND, "1")
	} else {
		err = d.db.DeleteSetting(ctx, ext, settingDND)
	}
	if err != nil {
		return fmt.Errorf("web: do-not-disturb of %s: %w", ext, err)
	}
	d.mu.Lock()
	if on {
		d.dnd[ext] = true
	} else {
		delete(d.dnd, ext)
	}
	d.mu.Unlock()
	d.toExt(ext, encode(dndMsg{Type: "dnd", On: on}))
	d.presenceChanged(ext)
	return nil
}

// storedDND re-reads ext's do-not-disturb from the store when a tab of
// ext connects: in a cluster another node may have changed it (the user
// set it there, then that node died). When the store cannot answer, the
// value this node remembers stands.
func (d *Desk) storedDND(ext string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	v, err := d.db.Setting(ctx, ext, settingDND)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return d.DoNotDisturb(ext)
	}
	on := err == nil && v == "1"
	d.mu.Lock()
	changed := d.dnd[ext] != on
	if on {
		d.dnd[ext] = true
	} else {
		delete(d.dnd, ext)
	}
	d.mu.Unlock()
	if changed {
		d.presenceChanged(ext)
	}
	return on
}
