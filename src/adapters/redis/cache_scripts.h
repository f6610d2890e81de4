// The Lua scripts that keep a room's cached run contiguous (see redis_cache.h for the key
// layout). Seqs travel as decimal strings; Lua 5.1 numbers are doubles, exact to 2^53.
#pragma once

namespace parley::redis::scripts {

// A seq as the hash field name the C++ side writes (std::to_string).
#define PARLEY_LUA_FIELD "local function field(n) return string.format('%d', n) end\n"

// KEYS[1] room; ARGV seq, event, capacity, ttl_ms. Returns 1 if held, 0 if the run was dropped.
inline constexpr const char* kAppend = PARLEY_LUA_FIELD R"lua(
local seq = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local run = redis.call('HMGET', KEYS[1], 'f', 'l')
if not run[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 'l', ARGV[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
local first, last = tonumber(run[1]), tonumber(run[2])
if seq ~= last + 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'l', ARGV[1])
while seq - first + 1 > cap do
  redis.call('HDEL', KEYS[1], field(first))
  first = first + 1
end
redis.call('HSET', KEYS[1], 'f', field(first))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// KEYS[1] room; ARGV after, limit, ttl_ms. Nil when the run does not cover after + 1,
// else the events after `after` (at most limit), ascending.
inline constexpr const char* kRead = PARLEY_LUA_FIELD R"lua(
local run = redis.call('HMGET', KEYS[1], 'f', 'l')
if not run[1] then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local first, last = tonumber(run[1]), tonumber(run[2])
local after, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if after >= last then return {} end
if after + 1 < first then return false end
local n = math.min(limit, last - after)
if n <= 0 then return {} end
local fields = {}
for i = 1, n do fields[i] = field(after + i) end
return redis.call('HMGET', KEYS[1], unpack(fields))
)lua";

// KEYS[1] room; ARGV seq, event, ttl_ms. Replaces the event if the run holds its seq.
inline constexpr const char* kReplace = R"lua(
local run = redis.call('HMGET', KEYS[1], 'f', 'l')
if not run[1] then return 0 end
local seq = tonumber(ARGV[1])
if seq < tonumber(run[1]) or seq > tonumber(run[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

// KEYS[1] room; ARGV capacity, ttl_ms, first seq, then the events (contiguous, ascending;
// checked by the caller). A run reaching further keeps its newer events and only gains the
// older ones that join up; otherwise the room's run becomes these events.
inline constexpr const char* kFill = PARLEY_LUA_FIELD R"lua(
local cap = tonumber(ARGV[1])
local nf = tonumber(ARGV[3])
local nl = nf + #ARGV - 4
local run = redis.call('HMGET', KEYS[1], 'f', 'l')
if run[1] then
  local first, last = tonumber(run[1]), tonumber(run[2])
  if last > nl then
    if nl + 1 < first then return 0 end
    local low = math.max(nf, last - cap + 1)
    for s = first - 1, low, -1 do
      redis.call('HSET', KEYS[1], field(s), ARGV[4 + s - nf])
    end
    if low < first then redis.call('HSET', KEYS[1], 'f', field(low)) end
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
  end
  redis.call('DEL', KEYS[1])
end
local low = math.max(nf, nl - cap + 1)
local args = {'f', field(low), 'l', field(nl)}
for s = low, nl do
  args[#args + 1] = field(s)
  args[#args + 1] = ARGV[4 + s - nf]
end
redis.call('HSET', KEYS[1], unpack(args))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS[1] window; ARGV ttl_ms. Returns the window's count including this hit.
inline constexpr const char* kRateHit = R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
)lua";

// KEYS[1] the window's counter; ARGV amount, limit, ttl_ms. Returns 1 and adds `amount`
// while the total stays within the limit (or the amount is a refund), else 0 and adds
// nothing. Never below zero.
inline constexpr const char* kCharge = R"lua(
local amount = tonumber(ARGV[1])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if amount > 0 and n + amount > tonumber(ARGV[2]) then return 0 end
n = math.max(0, n + amount)
redis.call('SET', KEYS[1], string.format('%d', n), 'PX', ARGV[3])
return 1
)lua";

// KEYS[1] user; ARGV lease end, node, now, slack_ms. Drops ended leases and keeps the key
// until the newest lease ends (plus slack), so a silent node's leases vanish by themselves.
inline constexpr const char* kLease = PARLEY_LUA_FIELD R"lua(
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top == 0 then return 0 end
local ttl = tonumber(top[2]) - tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('PEXPIRE', KEYS[1], field(math.max(1, ttl)))
return 1
)lua";

#undef PARLEY_LUA_FIELD

}  // namespace parley::redis::scripts
