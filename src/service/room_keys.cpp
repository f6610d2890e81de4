#include "service/room_keys.h"

#include <fmt/format.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "core/metrics.h"
#include "crypto/sealer.h"

namespace parley {

namespace asio = boost::asio;

namespace {

// The key service's health in /metrics: its calls, and the ones that failed.
void countKeyCall(bool ok) {
  metrics().key_service_calls.inc();
  if (!ok) metrics().key_service_failures.inc();
}

}  // namespace

std::string RoomKeys::context(RoomId room, std::uint32_t version) {
  return fmt::format("parley/room-key/v1|{}|{}", room, version);
}

std::string RoomKeys::scopeOf(RoomId room) { return fmt::format("room:{}", room); }

void RoomKeys::evict(RoomId room) {
  std::lock_guard lock(mu_);
  evicted_.insert(room);
  auto it = cache_.lower_bound({room, 0});
  while (it != cache_.end() && it->first.first == room) eraseLocked(it++);
}

Task<Status> RoomKeys::destroy(RoomId room) {
  evict(room);
  std::string scope = scopeOf(room);
  auto destroyed = co_await keys_.destroyScope(std::move(scope));
  countKeyCall(destroyed.has_value());
  co_return destroyed;
}

std::size_t RoomKeys::cachedKeys() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

std::uint64_t RoomKeys::unwrapCalls() const {
  std::lock_guard lock(mu_);
  return unwrap_calls_;
}

void RoomKeys::eraseLocked(std::map<Slot, Entry>::iterator it) {
  const auto [room, version] = it->first;
  if (auto cur = current_version_.find(room);
      cur != current_version_.end() && cur->second == version) {
    current_version_.erase(cur);
  }
  lru_.erase(it->second.lru);
  cache_.erase(it);
}

std::optional<std::string> RoomKeys::lookupLocked(Slot slot) {
  auto it = cache_.find(slot);
  if (it == cache_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.unwrapped_at >= options_.max_age) {
    eraseLocked(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.key;
}

void RoomKeys::rememberLocked(Slot slot, const std::string& key) {
  if (options_.max_cached == 0 || evicted_.count(slot.first)) return;
  const auto now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(slot); it != cache_.end()) {
    it->second.key = key;
    it->second.unwrapped_at = now;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  } else {
    lru_.push_front(slot);
    cache_.emplace(slot, Entry{key, now, lru_.begin()});
  }
  auto& cur = current_version_[slot.first];
  cur = std::max(cur, slot.second);
  while (cache_.size() > options_.max_cached) eraseLocked(cache_.find(lru_.back()));
}

namespace {

// A caller waiting for another caller's unwrap, resumed on its own executor (kept busy
// meanwhile, so that its io_context does not run out of work while it waits).
struct Waiter {
  asio::any_io_executor home;
  asio::any_completion_handler<void(Result<std::string>)> resume;
};

template <class Handler>
Waiter waiterOf(Handler&& handler) {
  asio::any_io_executor home = asio::prefer(asio::get_associated_executor(handler),
                                            asio::execution::outstanding_work.tracked);
  return {std::move(home), std::forward<Handler>(handler)};
}

// Resumes `w` with `key` on its own executor, never inside the caller's stack.
void resume(Waiter w, Result<std::string> key) {
  auto home = w.home;
  asio::post(home, [r = std::move(w.resume), k = std::move(key)]() mutable {
    std::move(r)(std::move(k));
  });
}

}  // namespace

struct RoomKeys::Flight {
  std::optional<Result<std::string>> answer;  // GUARDED_BY(RoomKeys::mu_); set once
  std::vector<Waiter> waiters;                // GUARDED_BY(RoomKeys::mu_)
  bool landed = false;                        // touched by the leader only
};

std::size_t RoomKeys::waitingOnUnwrap() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

Task<Result<std::string>> RoomKeys::join(FlightPtr flight) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<std::string>)>(
      [this, flight = std::move(flight)](auto handler) {
        std::unique_lock lock(mu_);
        if (flight->answer) {
          Result<std::string> key = *flight->answer;
          lock.unlock();
          resume(waiterOf(std::move(handler)), std::move(key));
          return;
        }
        ++waiting_;
        flight->waiters.push_back(waiterOf(std::move(handler)));
      },
      asio::use_awaitable);
}

void RoomKeys::land(Slot slot, const FlightPtr& flight, const Result<std::string>& key) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    if (key) rememberLocked(slot, *key);
    flight->answer = key;
    waiters = std::move(flight->waiters);
    waiting_ -= waiters.size();
    if (auto it = flights_.find(slot); it != flights_.end() && it->second == flight) {
      flights_.erase(it);
    }
  }
  flight->landed = true;
  for (auto& w : waiters) resume(std::move(w), key);
}

Task<Result<std::string>> RoomKeys::lead(const RoomKeyRecord& rec, FlightPtr flight) {
  const Slot slot{rec.room_id, rec.version};
  // If this frame is destroyed before the answer (shutdown), the waiters still get one, and
  // the slot does not stay claimed by a flight that will never land.
  struct Abandoned {
    RoomKeys& self;
    Slot slot;
    const FlightPtr& flight;
    ~Abandoned() {
      if (!flight->landed) {
        self.land(slot, flight, makeError(Code::unavailable, "room key unwrap abandoned"));
      }
    }
  } guard{*this, slot, flight};
  // Named, not temporaries in the co_await (g++ 12: src/README.md).
  std::string ctx = context(rec.room_id, rec.version);
  std::string wrapped = rec.wrapped;
  Result<std::string> key = co_await keys_.unwrap(std::move(wrapped), std::move(ctx));
  countKeyCall(key.has_value());
  land(slot, flight, key);
  co_return key;
}

Task<Result<DataKey>> RoomKeys::unwrap(const RoomKeyRecord& rec) {
  const Slot slot{rec.room_id, rec.version};
  FlightPtr flight;
  bool leader = false;
  {
    std::lock_guard lock(mu_);
    // Another caller's unwrap may have landed while this one read the Store.
    if (auto key = lookupLocked(slot)) co_return DataKey{rec.version, std::move(*key)};
    FlightPtr& in_progress = flights_[slot];
    if (!in_progress) {
      in_progress = std::make_shared<Flight>();
      leader = true;
      ++unwrap_calls_;
    }
    flight = in_progress;
  }
  if (leader) {
    Result<std::string> key = co_await lead(rec, std::move(flight));
    if (!key) co_return key.error();
    co_return DataKey{rec.version, std::move(*key)};
  }
  Result<std::string> key = co_await join(std::move(flight));
  if (!key) co_return key.error();
  co_return DataKey{rec.version, std::move(*key)};
}

Task<Result<DataKey>> RoomKeys::current(RoomId room) {
  {
    std::lock_guard lock(mu_);
    if (auto v = current_version_.find(room); v != current_version_.end()) {
      const std::uint32_t version = v->second;
      if (auto key = lookupLocked({room, version})) co_return DataKey{version, std::move(*key)};
    }
  }
  auto latest = co_await store_.latestRoomKey(room);
  if (latest) co_return co_await unwrap(*latest);
  if (latest.error().code != Code::not_found) co_return latest.error();

  // The room's first key. Two nodes may race here: the Store keeps one, the loser re-reads.
  std::string fresh = crypto::newDataKey();
  std::string ctx = context(room, 1);
  std::string scope = scopeOf(room);
  std::string plain = fresh;
  auto wrapped = co_await keys_.wrapInScope(std::move(plain), std::move(ctx), std::move(scope));
  countKeyCall(wrapped.has_value());
  if (!wrapped) co_return wrapped.error();
  RoomKeyRecord record{room, 1, *wrapped};
  auto put = co_await store_.putRoomKey(std::move(record));
  if (!put && put.error().code != Code::conflict) co_return put.error();
  if (!put) {
    auto winner = co_await store_.latestRoomKey(room);
    if (!winner) co_return winner.error();
    co_return co_await unwrap(*winner);
  }
  std::lock_guard lock(mu_);
  rememberLocked({room, 1}, fresh);
  co_return DataKey{1, std::move(fresh)};
}

std::optional<DataKey> RoomKeys::cachedCurrent(RoomId room) {
  std::lock_guard lock(mu_);
  auto v = current_version_.find(room);
  if (v == current_version_.end()) return std::nullopt;
  const std::uint32_t version = v->second;
  auto key = lookupLocked({room, version});  // may drop an expired key: then nullopt
  if (!key) return std::nullopt;
  return DataKey{version, std::move(*key)};
}

Task<Result<DataKey>> RoomKeys::byVersion(RoomId room, std::uint32_t version) {
  {
    std::lock_guard lock(mu_);
    if (auto key = lookupLocked({room, version})) co_return DataKey{version, std::move(*key)};
  }
  auto rec = co_await store_.roomKey(room, version);
  if (!rec) co_return rec.error();
  co_return co_await unwrap(*rec);
}

}  // namespace parley
