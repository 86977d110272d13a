package web

import (
	"slices"
	"strings"

	"xphone/configs"
)

// directory is who a user can call: extensions and rooms, as sent to
// every tab (message directory), and the numbers that are extensions.
type directory struct {
	msg        []byte
	extensions map[string]configs.Extension
}

type directoryEntry struct {
	Number string `json:"number"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"` // extension or room
}

type directoryMsg struct {
	Type    string           `json:"type"` // directory
	Entries []directoryEntry `json:"entries"`
}

// SetDirectory applies the configured extensions and rooms (start and
// reload) and sends the new directory to every tab.
func (d *Desk) SetDirectory(exts []configs.Extension, rooms []configs.Room) {
	dir := &directory{extensions: map[string]configs.Extension{}}
	var entries []directoryEntry
	for _, e := range exts {
		if _, dup := dir.extensions[e.Number]; dup {
			continue
		}
		dir.extensions[e.Number] = e
		entries = append(entries, directoryEntry{Number: e.Number, Name: e.Name, Kind: "extension"})
	}
	for _, r := range rooms {
		entries = append(entries, directoryEntry{Number: r.Number, Name: r.Name, Kind: "room"})
	}
	slices.SortStableFunc(entries, func(a, b directoryEntry) int { return strings.Compare(a.Number, b.Number) })
	dir.msg = encode(directoryMsg{Type: "directory", Entries: entries})
	old := d.dir.Swap(dir)
	d.presenceOfDirectory(old, dir)
	for _, t := range d.registry.tabsWhere(func(*tab) bool { return true }) {
		t.send(dir.msg)
	}
}

// isExtension reports whether number is a configured extension that may
// use Xphone (whose calls are kept in a history).
func (d *Desk) isExtension(number string) bool {
	e, ok := d.dir.Load().extensions[number]
	return ok && e.Xphone
}
