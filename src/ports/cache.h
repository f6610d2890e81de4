// Cache: fast, disposable copies of hot data. Losing it loses nothing (the Store is the
// record); a miss is always answered from the Store by the caller.
//
// Contract: thread-safe; methods are coroutines that may be awaited from any executor.
// Recent events are kept exactly as the Store holds them (sealed, invariant 5), the latest
// `capacity` per room, and only as a contiguous run of seqs: a cache that cannot prove it
// holds every event after `after` answers with a miss (nullopt), never a partial list.
// Rate-limit counters are fixed windows keyed by an opaque string. Sessions are cached by
// token hash with a TTL; presence is a set of per-node leases that expire by themselves, so
// a node that dies without saying goodbye stops counting once its leases run out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.h"

namespace parley {

// A session lookup as cached: the session and its user (without the password hash), the
// time after which the entry must not be trusted, and a MAC the caller computed over the
// token hash it is cached under and every other field (AccountService checks both on read,
// so an entry written into the cache by someone else, moved to another token's key, or
// replayed after its time is a miss). The cache keeps `valid_until` and `mac` as given.
struct CachedSession {
  Session session;
  User user;
  Millis valid_until = 0;
  std::string mac;
};

struct RateDecision {
  bool allowed = true;
  Millis retry_after_ms = 0;  // when !allowed: until the window ends
};

class Cache {
 public:
  virtual ~Cache() = default;

  // Events with seq > after, ascending, at most `limit`; nullopt when not fully cached.
  virtual boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> recentEvents(
      RoomId room, Seq after, int limit) = 0;
  // Called after the Store committed `e`. Keeps the run contiguous: an event that does not
  // follow the cached run drops the room's entry (the next read refills from the Store).
  virtual boost::asio::awaitable<void> appendEvent(StoredEvent e) = 0;
  // Replaces the cached copy of a message changed by an edit or delete, if cached.
  virtual boost::asio::awaitable<void> replaceEvent(StoredEvent e) = 0;
  // Seeds a room's entry from a Store read of its newest events (ascending, contiguous,
  // ending at the room's last seq).
  virtual boost::asio::awaitable<void> fill(RoomId room, std::vector<StoredEvent> newest) = 0;

  // Counts one hit against `key`; at most `limit` hits per `window_ms`.
  virtual boost::asio::awaitable<RateDecision> hit(std::string key, int limit, Millis window_ms,
                                                   Millis now) = 0;

  // Adds `amount` (may be negative: a refund) to `key`'s total in the current fixed window
  // of `window_ms`; allowed while the total stays at most `limit`. A refused charge is not
  // added. Totals never go below zero. Like hit, a cache that cannot count allows.
  virtual boost::asio::awaitable<RateDecision> charge(std::string key, std::int64_t amount,
                                                      std::int64_t limit, Millis window_ms,
                                                      Millis now) = 0;

  // nullopt on a miss (the caller reads the Store and may put).
  virtual boost::asio::awaitable<std::optional<CachedSession>> session(std::string token_hash) = 0;
  virtual boost::asio::awaitable<void> putSession(std::string token_hash, CachedSession s,
                                                  Millis ttl_ms) = 0;
  virtual boost::asio::awaitable<void> dropSession(std::string token_hash) = 0;

  // Presence: `node` holds connections of `users` for the next `ttl_ms` (a heartbeat
  // refreshes it); release ends one user's lease on that node at once.
  virtual boost::asio::awaitable<void> presenceLease(std::string node, std::vector<UserId> users,
                                                     Millis ttl_ms, Millis now) = 0;
  virtual boost::asio::awaitable<void> presenceRelease(std::string node, UserId user) = 0;
  // The subset of `users` with an unexpired lease on any node.
  virtual boost::asio::awaitable<std::vector<UserId>> onlineAmong(std::vector<UserId> users,
                                                                  Millis now) = 0;
};

using CachePtr = std::unique_ptr<Cache>;

}  // namespace parley
