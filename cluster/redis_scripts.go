package cluster

import "github.com/redis/go-redis/v9"

// claimRoom: KEYS[1] room key; ARGV node, ttl ms, node key prefix.
// The room goes to ARGV[1] unless a live node holds it; the holder
// refreshes it. Returns the host.
var claimRoom = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. v) == 1 then
  return v
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`)

// releaseIfMine: KEYS[1]; ARGV[1] the value it must have to be deleted.
var releaseIfMine = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// acquireLease: KEYS lease, token counter; ARGV node, ttl ms.
// Returns {1, token} when taken, {0, "holder token"} when held.
var acquireLease = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return {0, v} end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t, 'PX', ARGV[2])
return {1, tostring(t)}
`)

// renewLease: KEYS lease, token counter; ARGV "node token", ttl ms, token.
// Extends the holder's lease; re-creates it when it vanished and nobody
// took it since (Redis restarted empty, or a renewal came late).
// Returns 1 when renewed, 0 when lost.
var renewLease = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if v then return 0 end
local c = redis.call('GET', KEYS[2])
if c and c ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)
