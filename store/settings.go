package store

import "context"

// Setting returns ext's value for key.
func (s *SQLite) Setting(ctx context.Context, ext, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM user_settings WHERE ext = ? AND key = ?`, ext, key).Scan(&v)
	if err != nil {
		return "", queryErr("get setting "+key, err)
	}
	return v, nil
}

// PutSetting sets ext's value for key.
func (s *SQLite) PutSetting(ctx context.Context, ext, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO user_settings (ext, key, value) VALUES (?, ?, ?)
		ON CONFLICT(ext, key) DO UPDATE SET value = excluded.value`, ext, key, value)
	if err != nil {
		return queryErr("put setting "+key, err)
	}
	return nil
}

// DeleteSetting unsets ext's key.
func (s *SQLite) DeleteSetting(ctx context.Context, ext, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM user_settings WHERE ext = ? AND key = ?`, ext, key); err != nil {
		return queryErr("delete setting "+key, err)
	}
	return nil
}

// SettingEverywhere maps every extension that has key set to its value.
func (s *SQLite) SettingEverywhere(ctx context.Context, key string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ext, value FROM user_settings WHERE key = ?`, key)
	if err != nil {
		return nil, queryErr("list setting "+key, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ext, v string
		if err := rows.Scan(&ext, &v); err != nil {
			return nil, queryErr("list setting "+key, err)
		}
		out[ext] = v
	}
	if err := rows.Err(); err != nil {
		return nil, queryErr("list setting "+key, err)
	}
	return out, nil
}
