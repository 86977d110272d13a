package web

import (
	"context"
	"errors"
	"strconv"
	"time"

	"xphone/sfu"
	"xphone/store"
)

// settingSeen is the store key of the newest history entry an extension's
// user has seen (opened the list): missed calls after it are unseen.
const settingSeen = "history_seen"

// maxHistoryPush bounds the entries sent to a tab at once.
const maxHistoryPush = 500

type historyEntry struct {
	ID       int64  `json:"id"`
	Dir      string `json:"dir"` // in, out or missed
	Number   string `json:"number"`
	Name     string `json:"name,omitempty"`
	Time     int64  `json:"time"` // Unix ms: when it began to ring
	Answered bool   `json:"answered,omitempty"`
	Duration int64  `json:"duration,omitempty"` // seconds, of an answered call
	Reason   string `json:"reason,omitempty"`   // reason code of an unanswered one
	Video    bool   `json:"video,omitempty"`
	By       string `json:"by,omitempty"` // who transferred it here
	ByName   string `json:"by_name,omitempty"`
}

type historyMsg struct {
	Type   string         `json:"type"` // history
	Calls  []historyEntry `json:"calls"`
	Unseen int            `json:"unseen"`
}

type historyAddMsg struct {
	Type   string       `json:"type"` // history-add
	Call   historyEntry `json:"call"`
	Unseen int          `json:"unseen"`
}

type missedMsg struct {
	Type   string `json:"type"` // missed
	Unseen int    `json:"unseen"`
}

func entryOf(e store.CallEntry) historyEntry {
	return historyEntry{ID: e.ID, Dir: string(e.Direction), Number: e.Number, Name: e.Name, Time: e.Started.UnixMilli(),
		Answered: e.Answered, Duration: int64(e.Duration.Round(time.Second) / time.Second), Reason: e.Reason,
		Video: e.Video, By: e.ViaNumber, ByName: e.ViaName}
}

// RecordCall implements sfu.CallRecorder: the record becomes history
// entries of the extensions involved, written by the worker.
func (d *Desk) RecordCall(r sfu.CallRecord) {
	entries := d.entriesOf(r)
	if len(entries) > 0 {
		d.enqueue(func() { d.addEntries(entries) })
	}
}

// entriesOf turns a record into history entries: Outgoing for a caller at
// an extension (not for a party transferred elsewhere), and for a called
// extension Incoming when answered or declined, Missed otherwise.
func (d *Desk) entriesOf(r sfu.CallRecord) []store.CallEntry {
	var out []store.CallEntry
	var dur time.Duration
	if !r.Answered.IsZero() {
		dur = r.Ended.Sub(r.Answered)
	}
	if r.Origin.Kind == sfu.OriginExtension && r.Transferor == (sfu.Identity{}) {
		out = append(out, store.CallEntry{Ext: r.Origin.Name, Direction: store.Outgoing, Number: r.To, Name: r.Callee.Name,
			Started: r.Started, Answered: !r.Answered.IsZero(), Duration: dur, Reason: string(r.Reason), Video: r.Video})
	}
	if r.Room || r.To == r.Caller.Number || !d.isExtension(r.To) {
		return out
	}
	in := store.CallEntry{Ext: r.To, Direction: store.Incoming, Number: r.Caller.Number, Name: r.Caller.Name,
		Started: r.Started, Answered: !r.Answered.IsZero(), Duration: dur, Reason: string(r.Reason), Video: r.Video,
		ViaNumber: r.Transferor.Number, ViaName: r.Transferor.Name}
	switch r.Reason {
	case "", sfu.ReasonDeclined:
	case sfu.ReasonNotFound, sfu.ReasonForbidden:
		return out // never rang here
	default:
		in.Direction = store.Missed
	}
	return append(out, in)
}

// addEntries writes entries (on the worker) and tells their tabs.
func (d *Desk) addEntries(entries []store.CallEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	limits := d.historyLimits()
	for _, e := range entries {
		id, err := d.db.AddCall(ctx, e, limits)
		if err != nil {
			d.log.Error("cannot keep a call in the history", "ext", e.Ext, "err", err)
			continue
		}
		e.ID = id
		unseen, err := d.unseen(ctx, e.Ext)
		if err != nil {
			d.log.Error("cannot count missed calls", "ext", e.Ext, "err", err)
		}
		d.toExt(e.Ext, encode(historyAddMsg{Type: "history-add", Call: entryOf(e), Unseen: unseen}))
	}
}

// unseen counts ext's missed calls after the newest entry its user saw.
func (d *Desk) unseen(ctx context.Context, ext string) (int, error) {
	seen, err := d.seen(ctx, ext)
	if err != nil {
		return 0, err
	}
	return d.db.CountMissedAfter(ctx, ext, seen)
}

func (d *Desk) seen(ctx context.Context, ext string) (int64, error) {
	v, err := d.db.Setting(ctx, ext, settingSeen)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(v, 10, 64) // a garbled value counts as nothing seen
	return n, nil
}

// historyMsg is ext's whole list, newest first, within the age cap.
func (d *Desk) historyMsg(ext string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	limits := d.historyLimits()
	list, err := d.db.Calls(ctx, ext, min(limits.Keep, maxHistoryPush))
	if err != nil {
		return nil, err
	}
	msg := historyMsg{Type: "history", Calls: []historyEntry{}}
	for _, e := range list {
		if !limits.Since.IsZero() && e.Started.Before(limits.Since) {
			break // newest first: the rest is older still
		}
		msg.Calls = append(msg.Calls, entryOf(e))
	}
	if msg.Unseen, err = d.unseen(ctx, ext); err != nil {
		return nil, err
	}
	return encode(msg), nil
}

// MarkSeen records that ext's user opened the list up to entry id: the
// missed-call badge goes, on every tab of ext. Runs on the worker, after
// the entries queued before it.
func (d *Desk) MarkSeen(ext string, id int64) {
	d.enqueue(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
		defer cancel()
		seen, err := d.seen(ctx, ext)
		if err == nil && id > seen {
			err = d.db.PutSetting(ctx, ext, settingSeen, strconv.FormatInt(id, 10))
		}
		if err != nil {
			d.log.Error("cannot mark the call history seen", "ext", ext, "err", err)
			return
		}
		unseen, err := d.unseen(ctx, ext)
		if err != nil {
			d.log.Error("cannot count missed calls", "ext", ext, "err", err)
			return
		}
		d.toExt(ext, encode(missedMsg{Type: "missed", Unseen: unseen}))
	})
}
