package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"xphone/store"
)

// addCallScript adds an entry (unless ARGV[1] is empty) to one
// extension's history and trims it, atomically: a history never outgrows
// its cap. KEYS: calls, started, missed, call (one slot by the {ext}
// tag). ARGV: id, entry, started ms, missed (1/0), keep, since ms or "".
// It returns how many entries it removed.
var addCallScript = redis.NewScript(`
local removed = 0
local function drop(ids)
  for _, id in ipairs(ids) do
    removed = removed + redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
  end
end
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  if ARGV[4] == '1' then redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1]) end
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
end
local keep = tonumber(ARGV[5])
if keep > 0 then drop(redis.call('ZRANGE', KEYS[1], 0, -keep - 1)) end
if ARGV[6] ~= '' then drop(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])) end
return removed
`)

// callsScript lists one extension's history, newest first, as id, entry
// pairs. KEYS: calls, call. ARGV: the last index (-1: all).
var callsScript = redis.NewScript(`
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
end
return out
`)

// record is a history entry as stored (the ID and extension are in the keys).
type record struct {
	Direction  store.Direction `json:"d"`
	Number     string          `json:"n"`
	Name       string          `json:"m,omitempty"`
	Started    int64           `json:"s"`
	Answered   bool            `json:"a,omitempty"`
	DurationMS int64           `json:"u,omitempty"`
	Reason     string          `json:"r,omitempty"`
	Video      bool            `json:"v,omitempty"`
	ViaNumber  string          `json:"vn,omitempty"`
	ViaName    string          `json:"vm,omitempty"`
}

// AddCall appends e to its extension's history and trims that history
// in the same script. IDs come from one counter, so they grow across
// extensions and nodes.
func (s *Store) AddCall(ctx context.Context, e store.CallEntry, limits store.HistoryLimits) (int64, error) {
	if e.Ext == "" || !e.Direction.Valid() {
		return 0, fmt.Errorf("%w: add call: entry needs an extension and a direction (got %q, %q)", store.ErrQuery, e.Ext, e.Direction)
	}
	body, err := json.Marshal(recordOf(e))
	if err != nil {
		return 0, fmt.Errorf("%w: add call: %v", store.ErrQuery, err)
	}
	var id *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		id = p.Incr(ctx, s.k.callID())
		p.SAdd(ctx, s.k.exts(), e.Ext)
		return nil
	}); err != nil {
		return 0, wrap("add call", err)
	}
	_, err = addCallScript.Run(ctx, s.rdb, s.historyKeys(e.Ext),
		id.Val(), body, e.Started.UnixMilli(), missedFlag(e), limits.Keep, since(limits)).Result()
	if err != nil {
		return 0, wrap("add call", err)
	}
	return id.Val(), nil
}

func recordOf(e store.CallEntry) record {
	return record{Direction: e.Direction, Number: e.Number, Name: e.Name, Started: e.Started.UnixMilli(),
		Answered: e.Answered, DurationMS: e.Duration.Milliseconds(), Reason: e.Reason, Video: e.Video,
		ViaNumber: e.ViaNumber, ViaName: e.ViaName}
}

func missedFlag(e store.CallEntry) string {
	if e.Direction == store.Missed {
		return "1"
	}
	return "0"
}

func (s *Store) historyKeys(ext string) []string {
	return []string{s.k.calls(ext), s.k.started(ext), s.k.missed(ext), s.k.call(ext)}
}

func since(l store.HistoryLimits) string {
	if l.Since.IsZero() {
		return ""
	}
	return ms(l.Since)
}

// Calls lists ext's history, newest first, at most limit entries.
func (s *Store) Calls(ctx context.Context, ext string, limit int) ([]store.CallEntry, error) {
	last := limit - 1
	if limit <= 0 {
		last = -1
	}
	vals, err := callsScript.Run(ctx, s.rdb, []string{s.k.calls(ext), s.k.call(ext)}, last).StringSlice()
	if err != nil {
		return nil, wrap("list calls", err)
	}
	out := make([]store.CallEntry, 0, len(vals)/2)
	for i := 0; i+1 < len(vals); i += 2 {
		e, err := decode(ext, vals[i], vals[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func decode(ext, id, body string) (store.CallEntry, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	var r record
	if err == nil {
		err = json.Unmarshal([]byte(body), &r)
	}
	if err != nil {
		return store.CallEntry{}, fmt.Errorf("%w: list calls: entry %s of %s: %v", store.ErrQuery, id, ext, err)
	}
	return store.CallEntry{ID: n, Ext: ext, Direction: r.Direction, Number: r.Number, Name: r.Name,
		Started: time.UnixMilli(r.Started), Answered: r.Answered, Duration: time.Duration(r.DurationMS) * time.Millisecond,
		Reason: r.Reason, Video: r.Video, ViaNumber: r.ViaNumber, ViaName: r.ViaName}, nil
}

// CountMissedAfter counts ext's missed calls with an ID above afterID.
func (s *Store) CountMissedAfter(ctx context.Context, ext string, afterID int64) (int, error) {
	n, err := s.rdb.ZCount(ctx, s.k.missed(ext), "("+strconv.FormatInt(afterID, 10), "+inf").Result()
	if err != nil {
		return 0, wrap("count missed calls", err)
	}
	return int(n), nil
}

// TrimHistory applies limits to every extension's history, one
// extension (one script) at a time.
func (s *Store) TrimHistory(ctx context.Context, limits store.HistoryLimits) (int, error) {
	exts, err := s.rdb.SMembers(ctx, s.k.exts()).Result()
	if err != nil {
		return 0, wrap("trim history", err)
	}
	total := 0
	for _, ext := range exts {
		n, err := addCallScript.Run(ctx, s.rdb, s.historyKeys(ext), "", "", 0, 0, limits.Keep, since(limits)).Int()
		if err != nil {
			return total, wrap("trim history", err)
		}
		total += n
	}
	return total, nil
}
