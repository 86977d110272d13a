package store

import (
	"context"
	"database/sql"
	"time"
)

// PutSession adds or replaces a session.
func (s *SQLite) PutSession(ctx context.Context, ss Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, ext, expires) VALUES (?, ?, ?)
		ON CONFLICT(token_hash) DO UPDATE SET ext = excluded.ext, expires = excluded.expires`,
		ss.TokenHash, ss.Ext, ss.Expires.UnixMilli())
	if err != nil {
		return queryErr("put session", err)
	}
	return nil
}

// GetSession finds a session by its token hash.
func (s *SQLite) GetSession(ctx context.Context, tokenHash string) (Session, error) {
	ss := Session{TokenHash: tokenHash}
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT ext, expires FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&ss.Ext, &expires)
	if err != nil {
		return Session{}, queryErr("get session", err)
	}
	ss.Expires = time.UnixMilli(expires)
	return ss, nil
}

// TouchSession moves a session's expiry; ErrNotFound if it is gone.
func (s *SQLite) TouchSession(ctx context.Context, tokenHash string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET expires = ? WHERE token_hash = ?`, expires.UnixMilli(), tokenHash)
	if err != nil {
		return queryErr("touch session", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return queryErr("touch session", sql.ErrNoRows)
	}
	return nil
}

// DeleteSession removes one session.
func (s *SQLite) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return queryErr("delete session", err)
	}
	return nil
}

// DeleteSessionsOf removes every session of ext.
func (s *SQLite) DeleteSessionsOf(ctx context.Context, ext string) (int, error) {
	return s.deleteWhere(ctx, "delete sessions of extension", `DELETE FROM sessions WHERE ext = ?`, ext)
}

// TrimSessionsOf removes every session of ext but the keep that expire
// last (ties broken by hash), in one statement, and returns the
// removed hashes.
func (s *SQLite) TrimSessionsOf(ctx context.Context, ext string, keep int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `DELETE FROM sessions WHERE token_hash IN (
		SELECT token_hash FROM sessions WHERE ext = ? ORDER BY expires DESC, token_hash LIMIT -1 OFFSET ?)
		RETURNING token_hash`, ext, max(keep, 0))
	if err != nil {
		return nil, queryErr("trim sessions of extension", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, queryErr("trim sessions of extension", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, queryErr("trim sessions of extension", err)
	}
	return out, nil
}

// DeleteExpiredSessions removes sessions expired at now.
func (s *SQLite) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return s.deleteWhere(ctx, "delete expired sessions", `DELETE FROM sessions WHERE expires <= ?`, now.UnixMilli())
}

func (s *SQLite) deleteWhere(ctx context.Context, what, query string, arg any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, arg)
	if err != nil {
		return 0, queryErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, queryErr(what, err)
	}
	return int(n), nil
}

// CountSessions counts sessions alive at now.
func (s *SQLite) CountSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE expires > ?`, now.UnixMilli()).Scan(&n); err != nil {
		return 0, queryErr("count sessions", err)
	}
	return n, nil
}
