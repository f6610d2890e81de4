#include "adapters/redis/redis_cache.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cassert>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/redis/cache_scripts.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/codec.h"
#include "adapters/redis/commands.h"
#include "adapters/redis/script.h"
#include "core/log.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;

// Rooms and sessions whose cached copy may be wrong and could not be deleted yet. Shared
// with the connection's on_up callback, which deletes them first thing after a reconnect.
class Poisoned {
 public:
  static constexpr std::size_t kMaxEntries = 100'000;

  void add(std::string key) {
    std::lock_guard lock(mu_);
    if (keys_.size() >= kMaxEntries) {
      // Beyond this the event TTL bounds how long a stale entry can be served.
      log::error("redis_cache_poison_overflow", {{"key_count", keys_.size()}});
      return;
    }
    keys_.insert(std::move(key));
  }

  bool contains(const std::string& key) {
    std::lock_guard lock(mu_);
    return keys_.contains(key);
  }

  // As a connection comes up: deletes every remembered key. A key stays remembered (answered
  // as a miss) until Redis confirmed its DEL, so no read can see the stale entry meanwhile.
  void flush(const std::shared_ptr<Poisoned>& self, const std::weak_ptr<Commands>& redis,
             const asio::any_io_executor& ex) {
    std::vector<std::string> keys;
    {
      std::lock_guard lock(mu_);
      keys.assign(keys_.begin(), keys_.end());
    }
    for (auto& key : keys)
      asio::co_spawn(ex, deleteKey(self, redis, std::move(key)), asio::detached);
  }

 private:
  static asio::awaitable<void> deleteKey(std::shared_ptr<Poisoned> self,
                                         std::weak_ptr<Commands> weak, std::string key) {
    auto redis = weak.lock();
    if (!redis) co_return;
    std::string route = key;
    Args del = {"DEL", key};
    auto got = co_await redis->request(std::move(route), std::move(del));
    if (!got || got->isError()) co_return;  // stays remembered; the next connection retries
    std::lock_guard lock(self->mu_);
    self->keys_.erase(key);
  }

  std::mutex mu_;
  std::unordered_set<std::string> keys_;  // guarded by mu_
};

bool isRun(RoomId room, const std::vector<StoredEvent>& events) {
  if (events.empty()) return false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].room_id != room) return false;
    if (i > 0 && events[i].seq != events[i - 1].seq + 1) return false;
  }
  return true;
}

bool failed(const Result<Reply>& r) { return !r || r->isError(); }

class RedisCache final : public Cache {
 public:
  RedisCache(asio::any_io_executor ex, RedisOptions opts)
      : prefix_(opts.key_prefix),
        // Bounds the arguments a script unpacks (Lua's C stack holds ~8000).
        capacity_(std::min<std::size_t>(opts.events_per_room, 2000)),
        event_ttl_(std::to_string(std::max<Millis>(opts.event_ttl_ms, 1))),
        presence_slack_(std::to_string(std::max<Millis>(opts.presence_slack_ms, 0))),
        poisoned_(std::make_shared<Poisoned>()),
        append_(scripts::kAppend),
        read_(scripts::kRead),
        replace_(scripts::kReplace),
        fill_(scripts::kFill),
        rate_hit_(scripts::kRateHit),
        charge_(scripts::kCharge),
        lease_(scripts::kLease) {
    if (!opts.stats) opts.stats = std::make_shared<RedisStats>();
    stats_ = opts.stats;
    redis_ = makeCommands(ex, opts, "cache");
    redis_->start([poisoned = poisoned_, weak = std::weak_ptr<Commands>(redis_), ex] {
      poisoned->flush(poisoned, weak, ex);
    });
  }

  ~RedisCache() override { redis_->stop(); }

  asio::awaitable<std::optional<std::vector<StoredEvent>>> recentEvents(RoomId room, Seq after,
                                                                        int limit) override {
    const std::string key = eventsKey(room);
    if (capacity_ == 0 || poisoned_->contains(key)) co_return miss();
    ScriptCall call{{key}, {std::to_string(after), std::to_string(limit), event_ttl_}};
    auto got = co_await eval(*redis_, read_, std::move(call));
    if (failed(got) || (got->type != Reply::Type::array && !got->isNil())) {
      co_return error("recent_events", got);
    }
    if (got->isNil()) co_return miss();
    std::vector<StoredEvent> events;
    events.reserve(got->elements.size());
    for (const auto& el : got->elements) {
      auto e = el.type == Reply::Type::string ? decodeEvent(el.str) : std::nullopt;
      // The run's invariant says this holds; a wrong entry must never be served.
      if (!e || e->room_id != room || e->seq != after + 1 + static_cast<Seq>(events.size())) {
        log::error("redis_cache_bad_event", {{"room", room}});
        co_await dropKey(key);
        co_return miss();
      }
      events.push_back(std::move(*e));
    }
    stats_->cache_hits.fetch_add(1, std::memory_order_relaxed);
    co_return events;
  }

  asio::awaitable<void> appendEvent(StoredEvent e) override {
    if (capacity_ == 0) co_return;
    const std::string key = eventsKey(e.room_id);
    ScriptCall call{{key},
                    {std::to_string(e.seq), encodeEvent(e), std::to_string(capacity_), event_ttl_}};
    auto got = co_await eval(*redis_, append_, std::move(call));
    if (failed(got)) {
      countError("append_event", got);
      co_await dropKey(key);  // the run may now lack this event
    }
  }

  asio::awaitable<void> replaceEvent(StoredEvent e) override {
    if (capacity_ == 0) co_return;
    const std::string key = eventsKey(e.room_id);
    ScriptCall call{{key}, {std::to_string(e.seq), encodeEvent(e), event_ttl_}};
    auto got = co_await eval(*redis_, replace_, std::move(call));
    if (failed(got)) {
      countError("replace_event", got);
      co_await dropKey(key);  // the run may still hold the old copy
    }
  }

  asio::awaitable<void> fill(RoomId room, std::vector<StoredEvent> newest) override {
    if (capacity_ == 0) co_return;
    const std::string key = eventsKey(room);
    if (!isRun(room, newest)) {
      co_await dropKey(key);
      co_return;
    }
    // Only the newest `capacity_` could be kept; the script sees the same outcome.
    const std::size_t skip = newest.size() > capacity_ ? newest.size() - capacity_ : 0;
    ScriptCall call{{key},
                    {std::to_string(capacity_), event_ttl_, std::to_string(newest[skip].seq)}};
    for (std::size_t i = skip; i < newest.size(); ++i) call.args.push_back(encodeEvent(newest[i]));
    // A failed fill leaves the previous run, which the script kept contiguous.
    auto got = co_await eval(*redis_, fill_, std::move(call));
    if (failed(got)) countError("fill", got);
  }

  asio::awaitable<RateDecision> hit(std::string key, int limit, Millis window_ms,
                                    Millis now) override {
    // A caller's configuration error, not input: there is no window to count in.
    assert(window_ms > 0);
    if (window_ms <= 0) co_return RateDecision{};
    Millis offset = now % window_ms;
    if (offset < 0) offset += window_ms;  // floor, for times before the epoch
    const Millis start = now - offset;
    const Millis end = start + window_ms;
    // The window is in the key, so expiry only collects garbage: generous, for clock skew.
    ScriptCall call{{prefix_ + "rl:" + std::to_string(window_ms) + ":" + std::to_string(start) +
                     ":" + withoutHashTag(key)},
                    {std::to_string(end - now + std::max<Millis>(window_ms, 60'000))}};
    auto got = co_await eval(*redis_, rate_hit_, std::move(call));
    if (failed(got) || got->type != Reply::Type::integer) {
      countError("rate_hit", got);
      stats_->rate_fail_open.fetch_add(1, std::memory_order_relaxed);
      co_return RateDecision{};
    }
    if (got->integer <= limit) co_return RateDecision{};
    co_return RateDecision{false, end - now};
  }

  asio::awaitable<RateDecision> charge(std::string key, std::int64_t amount, std::int64_t limit,
                                       Millis window_ms, Millis now) override {
    assert(window_ms > 0);
    if (window_ms <= 0) co_return RateDecision{};
    Millis offset = now % window_ms;
    if (offset < 0) offset += window_ms;
    const Millis end = now - offset + window_ms;
    ScriptCall call{{prefix_ + "ch:" + std::to_string(window_ms) + ":" +
                     std::to_string(end - window_ms) + ":" + withoutHashTag(key)},
                    {std::to_string(amount), std::to_string(limit),
                     std::to_string(end - now + std::max<Millis>(window_ms, 60'000))}};
    auto got = co_await eval(*redis_, charge_, std::move(call));
    if (failed(got) || got->type != Reply::Type::integer) {
      countError("charge", got);
      stats_->rate_fail_open.fetch_add(1, std::memory_order_relaxed);
      co_return RateDecision{};
    }
    if (got->integer == 1) co_return RateDecision{};
    co_return RateDecision{false, end - now};
  }

  asio::awaitable<std::optional<CachedSession>> session(std::string token_hash) override {
    const std::string key = sessionKey(token_hash);
    if (poisoned_->contains(key)) co_return sessionMiss();
    std::string route = key;
    Args get = {"GET", key};
    auto got = co_await redis_->request(std::move(route), std::move(get));
    if (failed(got) || (got->type != Reply::Type::string && !got->isNil())) {
      countError("session", got);
      co_return sessionMiss();
    }
    if (got->isNil()) co_return sessionMiss();
    auto s = decodeSession(got->str);
    if (!s) {
      log::error("redis_cache_bad_session", {});
      co_return sessionMiss();
    }
    stats_->cache_hits.fetch_add(1, std::memory_order_relaxed);
    co_return s;
  }

  asio::awaitable<void> putSession(std::string token_hash, CachedSession s,
                                   Millis ttl_ms) override {
    const std::string key = sessionKey(token_hash);
    if (ttl_ms <= 0) {  // already expired: Redis refuses PX 0
      co_await dropKey(key);
      co_return;
    }
    std::string route = key;
    Args set = {"SET", key, encodeSession(s), "PX", std::to_string(ttl_ms)};
    auto got = co_await redis_->request(std::move(route), std::move(set));
    if (failed(got)) countError("put_session", got);
  }

  asio::awaitable<void> dropSession(std::string token_hash) override {
    const std::string key = sessionKey(token_hash);
    co_await dropKey(key);
  }

  asio::awaitable<void> presenceLease(std::string node, std::vector<UserId> users, Millis ttl_ms,
                                      Millis now) override {
    if (users.empty()) co_return;
    std::vector<ScriptCall> calls;
    calls.reserve(users.size());
    const std::string until = std::to_string(now + ttl_ms);
    const std::string now_s = std::to_string(now);
    for (UserId u : users)
      calls.push_back({{presenceKey(u)}, {until, node, now_s, presence_slack_}});
    auto got = co_await evalAll(*redis_, lease_, std::move(calls));
    if (!got) {
      countError("presence_lease", got.error().message);
      co_return;
    }
    for (const auto& r : *got) {
      if (r.isError()) countError("presence_lease", r.str);
    }
  }

  asio::awaitable<void> presenceRelease(std::string node, UserId user) override {
    std::string route = presenceKey(user);
    Args zrem = {"ZREM", route, node};
    auto got = co_await redis_->request(std::move(route), std::move(zrem));
    if (failed(got)) countError("presence_release", got);
  }

  asio::awaitable<std::vector<UserId>> onlineAmong(std::vector<UserId> users, Millis now) override {
    std::vector<UserId> online;
    if (users.empty()) co_return online;
    std::vector<Args> batch;
    std::vector<std::string> keys;
    batch.reserve(users.size());
    const std::string above_now = "(" + std::to_string(now);
    for (UserId u : users) {
      keys.push_back(presenceKey(u));
      batch.push_back({"ZCOUNT", keys.back(), above_now, "+inf"});
    }
    auto got = co_await redis_->requestAll(std::move(keys), std::move(batch));
    if (!got) {
      countError("online_among", got.error().message);
      co_return online;
    }
    for (std::size_t i = 0; i < users.size(); ++i) {
      const Reply& r = (*got)[i];
      if (r.isError()) {
        countError("online_among", r.str);
        co_return std::vector<UserId>{};
      }
      if (r.integer > 0) online.push_back(users[i]);
    }
    co_return online;
  }

 private:
  // The room's run is one key, and every script on it touches only that key; the room id is
  // its hash tag so that anything added for a room later lands in the same cluster slot.
  std::string eventsKey(RoomId room) const { return prefix_ + "ev:{" + std::to_string(room) + "}"; }
  std::string sessionKey(const std::string& token_hash) const {
    return prefix_ + "s:" + hex(token_hash);
  }
  std::string presenceKey(UserId user) const { return prefix_ + "p:" + std::to_string(user); }

  std::optional<std::vector<StoredEvent>> miss() {
    stats_->cache_misses.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::optional<CachedSession> sessionMiss() {
    stats_->cache_misses.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::optional<std::vector<StoredEvent>> error(std::string_view what, const Result<Reply>& r) {
    countError(what, r);
    return miss();
  }

  void countError(std::string_view what, const Result<Reply>& r) {
    if (!r) {
      countError(what, r.error().message);
    } else {
      countError(what, r->isError() ? r->str : std::string("unexpected reply type"));
    }
  }
  void countError(std::string_view what, const std::string& why) {
    stats_->cache_errors.fetch_add(1, std::memory_order_relaxed);
    log::debug("redis_cache_error", {{"op", what}, {"error", why}});
  }

  // Deletes a key whose cached value may be wrong; remembers it if Redis cannot be told.
  asio::awaitable<void> dropKey(const std::string& key) {
    std::string route = key;
    Args del = {"DEL", key};
    auto got = co_await redis_->request(std::move(route), std::move(del));
    if (failed(got)) {
      countError("drop", got);
      poisoned_->add(key);
    }
  }

  const std::string prefix_;
  const std::size_t capacity_;
  const std::string event_ttl_;
  const std::string presence_slack_;
  std::shared_ptr<RedisStats> stats_;
  std::shared_ptr<Poisoned> poisoned_;
  const Script append_;
  const Script read_;
  const Script replace_;
  const Script fill_;
  const Script rate_hit_;
  const Script charge_;
  const Script lease_;
  CommandsPtr redis_;
};

}  // namespace

CachePtr makeRedisCache(boost::asio::any_io_executor ex, RedisOptions opts) {
  return std::make_unique<RedisCache>(std::move(ex), std::move(opts));
}

}  // namespace parley::redis
