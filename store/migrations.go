package store

// migration is one step of the schema. Steps are applied in order of
// version, each in a transaction with its row in schema_migrations, so a
// crash leaves either the old or the new schema. Append new steps at the
// end with the next version; never change one that has shipped.
type migration struct {
	version int
	name    string
	sql     string
}

var migrations = []migration{
	{1, "login sessions", `
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	ext        TEXT NOT NULL,
	expires    INTEGER NOT NULL -- Unix milliseconds
) WITHOUT ROWID;
CREATE INDEX sessions_ext ON sessions(ext);
CREATE INDEX sessions_expires ON sessions(expires);
`},
	{2, "call history", `
CREATE TABLE call_history (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ext         TEXT NOT NULL,    -- whose history this entry is in
	direction   TEXT NOT NULL CHECK (direction IN ('in', 'out', 'missed')),
	number      TEXT NOT NULL,    -- the other party (or room)
	name        TEXT NOT NULL DEFAULT '',
	started     INTEGER NOT NULL, -- Unix milliseconds: when the call began to ring
	answered    INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
	duration_ms INTEGER NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '', -- why an unanswered call ended (a reason code)
	video       INTEGER NOT NULL DEFAULT 0 CHECK (video IN (0, 1)),
	via_number  TEXT NOT NULL DEFAULT '', -- who transferred the call here
	via_name    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX call_history_ext ON call_history(ext, id);
CREATE INDEX call_history_started ON call_history(started);
`},
	{3, "per-extension settings", `
CREATE TABLE user_settings (
	ext   TEXT NOT NULL,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (ext, key)
) WITHOUT ROWID;
CREATE INDEX user_settings_key ON user_settings(key);
`},
}

// latestVersion is the schema version this build writes.
func latestVersion() int { return migrations[len(migrations)-1].version }
