package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AddCall appends an entry to its extension's history and trims that
// history, in one transaction: a history never outgrows its cap.
func (s *SQLite) AddCall(ctx context.Context, e CallEntry, limits HistoryLimits) (int64, error) {
	if e.Ext == "" || !e.Direction.Valid() {
		return 0, fmt.Errorf("%w: add call: entry needs an extension and a direction (got %q, %q)", ErrQuery, e.Ext, e.Direction)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, queryErr("add call", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT INTO call_history
		(ext, direction, number, name, started, answered, duration_ms, reason, video, via_number, via_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Ext, string(e.Direction), e.Number, e.Name, e.Started.UnixMilli(), boolInt(e.Answered),
		e.Duration.Milliseconds(), e.Reason, boolInt(e.Video), e.ViaNumber, e.ViaName)
	if err != nil {
		return 0, queryErr("add call", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, queryErr("add call", err)
	}
	if err := trimExt(ctx, tx, e.Ext, limits); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, queryErr("add call", err)
	}
	return id, nil
}

// trimExt applies limits to one extension's history inside tx.
func trimExt(ctx context.Context, tx *sql.Tx, ext string, limits HistoryLimits) error {
	if limits.Keep > 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM call_history WHERE ext = ? AND id <= (
			SELECT id FROM call_history WHERE ext = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, ext, ext, limits.Keep)
		if err != nil {
			return queryErr("trim history", err)
		}
	}
	if !limits.Since.IsZero() {
		if _, err := tx.ExecContext(ctx, `DELETE FROM call_history WHERE ext = ? AND started < ?`, ext, limits.Since.UnixMilli()); err != nil {
			return queryErr("trim history", err)
		}
	}
	return nil
}

// Calls lists ext's history, newest first.
func (s *SQLite) Calls(ctx context.Context, ext string, limit int) ([]CallEntry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, direction, number, name, started, answered, duration_ms,
		reason, video, via_number, via_name FROM call_history WHERE ext = ? ORDER BY id DESC LIMIT ?`, ext, limit)
	if err != nil {
		return nil, queryErr("list calls", err)
	}
	defer rows.Close()
	var out []CallEntry
	for rows.Next() {
		e := CallEntry{Ext: ext}
		var dir string
		var started, durMS int64
		var answered, video int
		if err := rows.Scan(&e.ID, &dir, &e.Number, &e.Name, &started, &answered, &durMS,
			&e.Reason, &video, &e.ViaNumber, &e.ViaName); err != nil {
			return nil, queryErr("list calls", err)
		}
		e.Direction, e.Started, e.Answered = Direction(dir), time.UnixMilli(started), answered == 1
		e.Duration, e.Video = time.Duration(durMS)*time.Millisecond, video == 1
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, queryErr("list calls", err)
	}
	return out, nil
}

// CountMissedAfter counts ext's missed calls newer than afterID.
func (s *SQLite) CountMissedAfter(ctx context.Context, ext string, afterID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM call_history WHERE ext = ? AND direction = 'missed' AND id > ?`,
		ext, afterID).Scan(&n)
	if err != nil {
		return 0, queryErr("count missed calls", err)
	}
	return n, nil
}

// TrimHistory applies limits to every extension's history.
func (s *SQLite) TrimHistory(ctx context.Context, limits HistoryLimits) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, queryErr("trim history", err)
	}
	defer func() { _ = tx.Rollback() }()
	total := 0
	if limits.Keep > 0 {
		// Rank each extension's entries, newest first, and drop those past the cap.
		res, err := tx.ExecContext(ctx, `DELETE FROM call_history WHERE id IN (
			SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY ext ORDER BY id DESC) AS n FROM call_history)
			WHERE n > ?)`, limits.Keep)
		if err != nil {
			return 0, queryErr("trim history", err)
		}
		total += affected(res)
	}
	if !limits.Since.IsZero() {
		res, err := tx.ExecContext(ctx, `DELETE FROM call_history WHERE started < ?`, limits.Since.UnixMilli())
		if err != nil {
			return 0, queryErr("trim history", err)
		}
		total += affected(res)
	}
	if err := tx.Commit(); err != nil {
		return 0, queryErr("trim history", err)
	}
	return total, nil
}

func affected(res sql.Result) int {
	n, _ := res.RowsAffected() // SQLite always knows
	return int(n)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
