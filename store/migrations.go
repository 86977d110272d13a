package store

// migration is one step of the schema. Steps are applied in order of
// version, each in a transaction with its row in schema_migrations, so a
// crash leaves either the old or the new schema. Append new steps (call
// history, do-not-disturb, …) at the end with the next version; never
// change one that has shipped.
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
}

// latestVersion is the schema version this build writes.
func latestVersion() int { return migrations[len(migrations)-1].version }
