package store

import (
	"context"
	"time"
)

// Setting is one per-extension setting, as Export lists it.
type Setting struct{ Ext, Key, Value string }

// Dump is everything a store holds, for a one-time copy into another
// (xphone store-to-redis): calls oldest first, with their IDs.
type Dump struct {
	Sessions []Session
	Calls    []CallEntry
	Settings []Setting
}

// Export reads the whole file: the sessions alive at now, every call and
// every setting.
func (s *SQLite) Export(ctx context.Context, now time.Time) (Dump, error) {
	var d Dump
	rows, err := s.db.QueryContext(ctx, `SELECT token_hash, ext, expires FROM sessions WHERE expires > ?`, now.UnixMilli())
	if err != nil {
		return Dump{}, queryErr("export sessions", err)
	}
	for rows.Next() {
		var ss Session
		var exp int64
		if err := rows.Scan(&ss.TokenHash, &ss.Ext, &exp); err != nil {
			rows.Close()
			return Dump{}, queryErr("export sessions", err)
		}
		ss.Expires = time.UnixMilli(exp)
		d.Sessions = append(d.Sessions, ss)
	}
	rows.Close()
	if d.Settings, err = s.exportSettings(ctx); err != nil {
		return Dump{}, err
	}
	exts, err := s.historyExts(ctx)
	if err != nil {
		return Dump{}, err
	}
	for _, ext := range exts {
		calls, err := s.Calls(ctx, ext, 0)
		if err != nil {
			return Dump{}, err
		}
		for i := len(calls) - 1; i >= 0; i-- { // oldest first
			d.Calls = append(d.Calls, calls[i])
		}
	}
	return d, nil
}

func (s *SQLite) exportSettings(ctx context.Context) ([]Setting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ext, key, value FROM user_settings`)
	if err != nil {
		return nil, queryErr("export settings", err)
	}
	defer rows.Close()
	var out []Setting
	for rows.Next() {
		var st Setting
		if err := rows.Scan(&st.Ext, &st.Key, &st.Value); err != nil {
			return nil, queryErr("export settings", err)
		}
		out = append(out, st)
	}
	return out, queryErrOrNil("export settings", rows.Err())
}

func (s *SQLite) historyExts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT ext FROM call_history ORDER BY ext`)
	if err != nil {
		return nil, queryErr("export history", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ext string
		if err := rows.Scan(&ext); err != nil {
			return nil, queryErr("export history", err)
		}
		out = append(out, ext)
	}
	return out, queryErrOrNil("export history", rows.Err())
}

func queryErrOrNil(what string, err error) error {
	if err == nil {
		return nil
	}
	return queryErr(what, err)
}
