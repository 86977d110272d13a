// Package redisstore is the store.Store of a cluster: login sessions,
// call history and per-extension settings in Redis, so that every node
// behind the load balancer knows a user's session, do-not-disturb and
// history, and a dead node loses none of them.
//
// Keys (P is Options.Prefix, default "xphone:"; {ext} is a hash tag, so
// that on a Redis Cluster one extension's keys share a slot and the
// history script can touch them together):
//
//	P session:<hash>     string "<expires ms> <ext>", expiring at the session's expiry
//	P sessions           zset "<hash> <ext>" by expiry (count, expiry sweep)
//	P {<ext>}:sessions   zset <hash> by expiry (per-extension trim and logout)
//	P call-id            counter of history entry IDs
//	P exts               set of extensions with history (TrimHistory)
//	P {<ext>}:calls      zset <id> by id; :started by start (ms), :missed by id
//	P {<ext>}:call       hash <id> -> the entry (JSON)
//	P {<ext>}:settings   hash key -> value
//	P setting:<key>      hash ext -> value (SettingEverywhere)
//	P schema             the layout version
//
// Writes that span slots are pipelined, not transactional; each one is
// ordered so that a half-done write leaves at worst an index entry the
// next sweep removes, never a session nobody can end.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"xphone/store"
)

// SchemaVersion is the key layout this build writes.
const SchemaVersion = 1

// DefaultPrefix starts every key unless Options.Prefix says otherwise.
const DefaultPrefix = "xphone:"

// Options say how to reach Redis (as the cluster does) and where the keys live.
type Options struct {
	// Addrs: one host:port (standalone), several (Redis Cluster), or the
	// Sentinels' with MasterName.
	Addrs      []string
	MasterName string
	Username   string
	Password   string
	DB         int
	// Prefix of every key, so several deployments can share a Redis. It
	// must not contain '{': the per-extension hash tags come after it.
	Prefix string
	// Timeout bounds each dial, read, write and pool wait (default 1s):
	// a dead Redis makes calls fail fast with store.ErrUnavailable.
	Timeout time.Duration
	Log     *slog.Logger
}

// Store is store.Store in Redis. Safe for concurrent use.
type Store struct {
	rdb   redis.UniversalClient
	k     keys
	log   *slog.Logger
	cache *sessionCache
}

var _ store.Store = (*Store)(nil)

// Open connects to Redis and checks the key layout's version. A Redis
// that is down does not fail Open (the node starts, logins fail with
// store.ErrUnavailable until Redis is back); a newer layout does
// (store.ErrMigrate), like a newer SQLite file.
func Open(ctx context.Context, o Options) (*Store, error) {
	if len(o.Addrs) == 0 {
		return nil, fmt.Errorf("%w: redis: no address", store.ErrOpen)
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return nil, fmt.Errorf("%w: redis: prefix %q must not contain braces", store.ErrOpen, o.Prefix)
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: o.Addrs, MasterName: o.MasterName, Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout, PoolTimeout: o.Timeout,
		// One retry of a command, one dial per attempt: go-redis's default of
		// five dials 100 ms apart makes each call to a dead Redis take ~0.8 s.
		MaxRetries: 1, DialerRetries: 1,
	})
	s := &Store{rdb: rdb, k: keys{o.Prefix}, log: o.Log, cache: newSessionCache(sessionCacheSize)}
	if err := s.checkVersion(ctx); err != nil {
		if !errors.Is(err, store.ErrUnavailable) {
			_ = rdb.Close()
			return nil, err
		}
		o.Log.Warn("store: Redis unreachable at start; logins fail until it is back", "err", err)
	}
	return s, nil
}

// checkVersion writes this build's layout version into an empty Redis
// and refuses one written by a newer build.
func (s *Store) checkVersion(ctx context.Context) error {
	if err := s.rdb.SetNX(ctx, s.k.schema(), SchemaVersion, 0).Err(); err != nil {
		return wrap("schema version", err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: Redis holds store layout %d, newer than this Xphone's %d: use a newer build",
			store.ErrMigrate, v, SchemaVersion)
	}
	return nil
}

// SchemaVersion is the key layout version stored in Redis.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := s.rdb.Get(ctx, s.k.schema()).Int()
	if err != nil {
		return 0, wrap("schema version", err)
	}
	return v, nil
}

// Close closes the connections to Redis.
func (s *Store) Close() error { return s.rdb.Close() }

// keys builds the key names of the layout in the package comment.
type keys struct{ p string }

func (k keys) schema() string             { return k.p + "schema" }
func (k keys) session(hash string) string { return k.p + "session:" + hash }
func (k keys) sessions() string           { return k.p + "sessions" }
func (k keys) extSessions(ext string) string {
	return k.p + "{" + ext + "}:sessions"
}
func (k keys) callID() string             { return k.p + "call-id" }
func (k keys) exts() string               { return k.p + "exts" }
func (k keys) calls(ext string) string    { return k.p + "{" + ext + "}:calls" }
func (k keys) started(ext string) string  { return k.p + "{" + ext + "}:started" }
func (k keys) missed(ext string) string   { return k.p + "{" + ext + "}:missed" }
func (k keys) call(ext string) string     { return k.p + "{" + ext + "}:call" }
func (k keys) settings(ext string) string { return k.p + "{" + ext + "}:settings" }
func (k keys) setting(key string) string  { return k.p + "setting:" + key }

// wrap turns a Redis error into the store's sentinels: a missing key is
// store.ErrNotFound, a Redis that cannot answer store.ErrUnavailable, a
// refused command store.ErrQuery.
func wrap(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	case unavailable(err):
		return fmt.Errorf("%w: %s: %v", store.ErrUnavailable, what, err)
	default:
		return fmt.Errorf("%w: %s: %v", store.ErrQuery, what, err)
	}
}

// unavailable tells a Redis that cannot serve (network, timeout, closed
// pool, failover under way) from one that refused the command.
func unavailable(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true
	}
	for _, p := range []string{"LOADING", "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN", "READONLY"} {
		if strings.HasPrefix(rerr.Error(), p) {
			return true
		}
	}
	return false
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
