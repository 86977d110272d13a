package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"xphone/store"
)

// raiseScript sets the counter KEYS[1] to ARGV[1] unless it is already
// higher, so IDs given after an import never repeat an imported one.
var raiseScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
`)

// Import copies a dump (of the SQLite file, by xphone store-to-redis)
// into a Redis that holds no history and no sessions yet, keeping the
// calls' IDs: the "seen" markers in the settings refer to them. A Redis
// already in use is refused (store.ErrMigrate) rather than mixed with.
func (s *Store) Import(ctx context.Context, d store.Dump) error {
	n, err := s.rdb.Exists(ctx, s.k.callID(), s.k.sessions()).Result()
	if err != nil {
		return wrap("import", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: Redis already holds sessions or call history under this prefix: nothing copied", store.ErrMigrate)
	}
	for _, ss := range d.Sessions {
		if err := s.PutSession(ctx, ss); err != nil {
			return err
		}
	}
	for _, st := range d.Settings {
		if err := s.PutSetting(ctx, st.Ext, st.Key, st.Value); err != nil {
			return err
		}
	}
	var top int64
	for _, e := range d.Calls {
		if err := s.putCall(ctx, e); err != nil {
			return err
		}
		top = max(top, e.ID)
	}
	return wrap("import", raiseScript.Run(ctx, s.rdb, []string{s.k.callID()}, top).Err())
}

// putCall writes e under its own ID, untrimmed.
func (s *Store) putCall(ctx context.Context, e store.CallEntry) error {
	body, err := json.Marshal(recordOf(e))
	if err != nil {
		return fmt.Errorf("%w: import call %d: %v", store.ErrQuery, e.ID, err)
	}
	if err := s.rdb.SAdd(ctx, s.k.exts(), e.Ext).Err(); err != nil {
		return wrap("import call", err)
	}
	err = addCallScript.Run(ctx, s.rdb, s.historyKeys(e.Ext), e.ID, body, e.Started.UnixMilli(), missedFlag(e), 0, "").Err()
	return wrap("import call", err)
}
