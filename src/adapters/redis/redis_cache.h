// The Redis Cache: recent events, rate limits, sessions and presence in a Redis (or a Redis
// Cluster: opts.url redis+cluster://) shared by every node. Every key starts with
// opts.key_prefix; every command and every script touches exactly one key, so each runs in
// one cluster slot.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "adapters/redis/redis_options.h"
#include "ports/cache.h"

namespace parley::redis {

// Keys: <prefix>ev:{<room>} (a hash: "f"/"l" = first/last seq of the run, "<seq>" = event;
// the room id is its hash tag), <prefix>rl:<window_ms>:<window_start>:<key> and
// <prefix>ch:... (the caller's key with '{', '}' and '%' percent-encoded, so a caller's
// text never forms a hash tag), <prefix>s:<hex token hash>,
// <prefix>p:<user> (a sorted set: node -> lease end, scored with the callers' `now`).
//
// Recent events behave as the memory adapter's (appendEvent on an uncached room starts a
// one-event run; fill never hides newer appends), enforced atomically by Lua scripts, with
// the rooms expiring opts.event_ttl_ms after their last use instead of an LRU bound.
//
// Redis is disposable, so no method fails. When Redis cannot be reached or errs
// (stats.cache_errors counts each time), a method does this instead:
//   recentEvents -> miss;  session -> miss;  onlineAmong -> nobody online;
//   hit -> allowed (fails open; also counted in stats.rate_fail_open);
//   fill, putSession, presenceLease, presenceRelease -> nothing (the next call or the
//     lease's own expiry repairs it);
//   appendEvent, replaceEvent, dropSession -> the key is deleted; if even that fails it is
//     remembered, answered as a miss by this node, and deleted as soon as the connection is
//     back (a cached run that missed an append, or a revoked session, must not be served).
// Throws ErrorException (bad_request) for a malformed opts.url. `ex`'s context must outlive
// the cache.
CachePtr makeRedisCache(boost::asio::any_io_executor ex, RedisOptions opts);

}  // namespace parley::redis
