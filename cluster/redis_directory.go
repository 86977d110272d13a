package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// AddExtension records ext locally first, so that the heartbeat writes it
// even when Redis is down now (ErrUnavailable then, and healed later).
func (r *Redis) AddExtension(ctx context.Context, ext string) error {
	r.mu.Lock()
	r.exts[ext] = true
	r.mu.Unlock()
	if err := r.ready(); err != nil {
		return err
	}
	pipe := r.rdb.Pipeline()
	pipe.ZAdd(ctx, r.k.ext(ext), redis.Z{Score: float64(r.o.Now().Add(r.o.TTL).UnixMilli()), Member: r.o.NodeID})
	pipe.PExpire(ctx, r.k.ext(ext), r.o.TTL)
	_, err := pipe.Exec(ctx)
	return unavailable(err)
}

func (r *Redis) RemoveExtension(ctx context.Context, ext string) error {
	r.mu.Lock()
	delete(r.exts, ext)
	r.mu.Unlock()
	if err := r.ready(); err != nil {
		return err
	}
	return unavailable(r.rdb.ZRem(ctx, r.k.ext(ext), r.o.NodeID).Err())
}

// ExtensionNodes keeps only entries still refreshed whose node is alive,
// so a dead node's tabs vanish with its heartbeat.
func (r *Redis) ExtensionNodes(ctx context.Context, ext string) ([]string, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	now := strconv.FormatInt(r.o.Now().UnixMilli(), 10)
	ids, err := r.rdb.ZRangeByScore(ctx, r.k.ext(ext), &redis.ZRangeBy{Min: "(" + now, Max: "+inf"}).Result()
	if err != nil || len(ids) == 0 {
		return nil, unavailable(err)
	}
	pipe := r.rdb.Pipeline()
	alive := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		alive[i] = pipe.Exists(ctx, r.k.node(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	out := ids[:0]
	for i, id := range ids {
		if alive[i].Val() == 1 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (r *Redis) ClaimRoom(ctx context.Context, room string) (string, error) {
	if err := r.ready(); err != nil {
		return "", err
	}
	host, err := claimRoom.Run(ctx, r.rdb, []string{r.k.room(room)}, r.o.NodeID, r.o.TTL.Milliseconds(), r.k.node("")).Text()
	if err != nil {
		return "", unavailable(err)
	}
	if host == r.o.NodeID {
		r.mu.Lock()
		r.rooms[room] = true
		r.mu.Unlock()
	}
	return host, nil
}

func (r *Redis) ReleaseRoom(ctx context.Context, room string) error {
	r.mu.Lock()
	delete(r.rooms, room)
	r.mu.Unlock()
	if err := r.ready(); err != nil {
		return err
	}
	return unavailable(releaseIfMine.Run(ctx, r.rdb, []string{r.k.room(room)}, r.o.NodeID).Err())
}

func (r *Redis) RoomHost(ctx context.Context, room string) (string, error) {
	if err := r.ready(); err != nil {
		return "", err
	}
	host, err := r.rdb.Get(ctx, r.k.room(room)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", unavailable(err)
	}
	if n, err := r.rdb.Exists(ctx, r.k.node(host)).Result(); err != nil || n == 0 {
		return "", unavailable(err) // a dead host hosts nothing
	}
	return host, nil
}

func (r *Redis) Acquire(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	res, err := acquireLease.Run(ctx, r.rdb, []string{r.k.lease(name), r.k.leaseTok(name)}, r.o.NodeID, ttl.Milliseconds()).Slice()
	if err != nil {
		return nil, unavailable(err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("%w: lease script answered %v", ErrUnavailable, res)
	}
	val, _ := res[1].(string)
	if ok, _ := res[0].(int64); ok != 1 {
		holder, _, _ := strings.Cut(val, " ")
		return nil, &HeldError{Lease: name, Holder: holder}
	}
	tok, _ := strconv.ParseUint(val, 10, 64)
	return &Lease{Name: name, Holder: r.o.NodeID, Token: tok, TTL: ttl, store: r}, nil
}

// leaseValue is what the lease key holds for l: "node token".
func leaseValue(l *Lease) string { return l.Holder + " " + strconv.FormatUint(l.Token, 10) }

func (r *Redis) renewLease(ctx context.Context, l *Lease) error {
	if err := r.ready(); err != nil {
		return err
	}
	tok := strconv.FormatUint(l.Token, 10)
	n, err := renewLease.Run(ctx, r.rdb, []string{r.k.lease(l.Name), r.k.leaseTok(l.Name)}, leaseValue(l), l.TTL.Milliseconds(), tok).Int()
	if err != nil {
		return unavailable(err)
	}
	if n != 1 {
		return fmt.Errorf("%w: %s", ErrLeaseLost, l.Name)
	}
	return nil
}

func (r *Redis) releaseLease(ctx context.Context, l *Lease) error {
	if err := r.ready(); err != nil {
		return err
	}
	return unavailable(releaseIfMine.Run(ctx, r.rdb, []string{r.k.lease(l.Name)}, leaseValue(l)).Err())
}

func (r *Redis) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := r.ready(); err != nil {
		return err
	}
	return unavailable(r.rdb.Set(ctx, r.k.record(key), value, ttl).Err())
}

func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	v, err := r.rdb.Get(ctx, r.k.record(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, unavailable(err)
}
