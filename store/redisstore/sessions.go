package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"xphone/store"
)

// PutSession adds or replaces a session: its key expires with it, and
// both expiry indexes learn it.
func (s *Store) PutSession(ctx context.Context, ss store.Session) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.writeSession(ctx, p, ss, false)
		return nil
	})
	if err != nil {
		return wrap("put session", err)
	}
	s.cache.put(ss)
	return nil
}

// writeSession queues the three writes of a session; onlyIfThere (a
// touch) never brings back a session deleted meanwhile.
func (s *Store) writeSession(ctx context.Context, p redis.Pipeliner, ss store.Session, onlyIfThere bool) {
	val := ms(ss.Expires) + " " + ss.Ext
	score := float64(ss.Expires.UnixMilli())
	if onlyIfThere {
		p.SetArgs(ctx, s.k.session(ss.TokenHash), val, redis.SetArgs{Mode: "XX", ExpireAt: ss.Expires})
		p.ZAddXX(ctx, s.k.sessions(), redis.Z{Score: score, Member: ss.TokenHash + " " + ss.Ext})
		p.ZAddXX(ctx, s.k.extSessions(ss.Ext), redis.Z{Score: score, Member: ss.TokenHash})
		return
	}
	p.SetArgs(ctx, s.k.session(ss.TokenHash), val, redis.SetArgs{ExpireAt: ss.Expires})
	p.ZAdd(ctx, s.k.sessions(), redis.Z{Score: score, Member: ss.TokenHash + " " + ss.Ext})
	p.ZAdd(ctx, s.k.extSessions(ss.Ext), redis.Z{Score: score, Member: ss.TokenHash})
}

// GetSession finds a session. Redis drops a session's key when it
// expires, so an expired session is ErrNotFound here (the SQLite store
// returns it for the caller to refuse: the user sees the same). When
// Redis cannot answer, a session this node saw before is served from
// memory, so logged-in users keep working through an outage.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (store.Session, error) {
	v, err := s.rdb.Get(ctx, s.k.session(tokenHash)).Result()
	if err != nil {
		err = wrap("get session", err)
		if errors.Is(err, store.ErrUnavailable) {
			if ss, ok := s.cache.get(tokenHash); ok {
				return ss, nil
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			s.cache.drop(tokenHash)
		}
		return store.Session{}, err
	}
	ss, ok := parseSession(tokenHash, v)
	if !ok {
		return store.Session{}, wrap("get session", errors.New("malformed value "+strconv.Quote(v)))
	}
	s.cache.put(ss)
	return ss, nil
}

func parseSession(hash, v string) (store.Session, bool) {
	exp, ext, ok := strings.Cut(v, " ")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil {
		return store.Session{}, false
	}
	return store.Session{TokenHash: hash, Ext: ext, Expires: time.UnixMilli(n)}, true
}

// TouchSession moves a session's expiry; ErrNotFound if it is gone.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, expires time.Time) error {
	ss, err := s.GetSession(ctx, tokenHash)
	if err != nil {
		return err
	}
	ss.Expires = expires
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.writeSession(ctx, p, ss, true)
		return nil
	})
	if err != nil {
		return wrap("touch session", err)
	}
	s.cache.put(ss)
	return nil
}

// DeleteSession removes one session; absent is no error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	s.cache.drop(tokenHash)
	v, err := s.rdb.Get(ctx, s.k.session(tokenHash)).Result()
	if errors.Is(err, redis.Nil) {
		return nil // expired: the sweep removes its index entries
	}
	if err != nil {
		return wrap("delete session", err)
	}
	ss, _ := parseSession(tokenHash, v)
	return wrap("delete session", s.dropSessions(ctx, ss.Ext, []string{tokenHash}))
}

// dropSessions removes sessions of ext: the key first, so a half-done
// removal never leaves a usable session.
func (s *Store) dropSessions(ctx context.Context, ext string, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hashes {
			s.cache.drop(h)
			p.Del(ctx, s.k.session(h))
			p.ZRem(ctx, s.k.sessions(), h+" "+ext)
			p.ZRem(ctx, s.k.extSessions(ext), h)
		}
		return nil
	})
	return err
}

// DeleteSessionsOf removes every session of ext and returns how many.
func (s *Store) DeleteSessionsOf(ctx context.Context, ext string) (int, error) {
	hashes, err := s.rdb.ZRange(ctx, s.k.extSessions(ext), 0, -1).Result()
	if err != nil {
		return 0, wrap("delete sessions of extension", err)
	}
	if err := s.dropSessions(ctx, ext, hashes); err != nil {
		return 0, wrap("delete sessions of extension", err)
	}
	return len(hashes), nil
}

// TrimSessionsOf keeps ext's keep sessions that expire last.
func (s *Store) TrimSessionsOf(ctx context.Context, ext string, keep int) ([]string, error) {
	hashes, err := s.rdb.ZRange(ctx, s.k.extSessions(ext), 0, int64(-max(keep, 0)-1)).Result()
	if err != nil {
		return nil, wrap("trim sessions of extension", err)
	}
	if err := s.dropSessions(ctx, ext, hashes); err != nil {
		return nil, wrap("trim sessions of extension", err)
	}
	return hashes, nil
}

// DeleteExpiredSessions removes sessions expired at now (their keys are
// mostly gone already; this sweeps the indexes).
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	members, err := s.rdb.ZRangeByScore(ctx, s.k.sessions(), &redis.ZRangeBy{Min: "-inf", Max: ms(now)}).Result()
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	for _, m := range members {
		h, ext, _ := strings.Cut(m, " ")
		if err := s.dropSessions(ctx, ext, []string{h}); err != nil {
			return 0, wrap("delete expired sessions", err)
		}
	}
	return len(members), nil
}

// CountSessions counts sessions alive at now.
func (s *Store) CountSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.rdb.ZCount(ctx, s.k.sessions(), "("+ms(now), "+inf").Result()
	if err != nil {
		return 0, wrap("count sessions", err)
	}
	return int(n), nil
}
