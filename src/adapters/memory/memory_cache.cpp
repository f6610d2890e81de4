#include "adapters/memory/memory_cache.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <deque>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace parley::memory {
namespace {

// Not thread-safe: MemoryCache holds its mutex around every call.
// Invariant: every stored run is non-empty and events[i].seq == events[0].seq + i.
class RecentEvents {
 public:
  RecentEvents(std::size_t per_room, std::size_t max_rooms)
      : per_room_(per_room), max_rooms_(max_rooms), enabled_(per_room > 0 && max_rooms > 0) {}

  std::optional<std::vector<StoredEvent>> read(RoomId room, Seq after, int limit) {
    Run* run = find(room);
    if (run == nullptr) return std::nullopt;
    std::vector<StoredEvent> out;
    if (after >= run->last()) return out;  // nothing newer; tested first so after + 1 is safe
    if (after + 1 < run->first()) return std::nullopt;  // seqs after+1 .. first-1 are not held
    const auto count = std::min<std::size_t>(limit > 0 ? limit : 0, run->last() - after);
    // Below events.size(): first() <= after + 1 <= last() was checked above.
    const auto begin = run->events.begin() + static_cast<std::ptrdiff_t>(after + 1 - run->first());
    out.assign(begin, begin + static_cast<std::ptrdiff_t>(count));
    return out;
  }

  void append(StoredEvent e) {
    if (!enabled_) return;
    Run* run = find(e.room_id);
    if (run == nullptr) {
      insert(e.room_id).events.push_back(std::move(e));
    } else if (e.seq == run->last() + 1) {
      run->events.push_back(std::move(e));
      trim(*run);
    } else {
      drop(e.room_id);  // a gap or a repeat: the run can no longer prove it is complete
    }
  }

  void replace(StoredEvent e) {
    Run* run = find(e.room_id);
    if (run == nullptr || e.seq < run->first() || e.seq > run->last()) return;
    run->events[e.seq - run->first()] = std::move(e);
  }

  void fill(RoomId room, std::vector<StoredEvent> newest) {
    if (!enabled_) return;
    if (!isRun(room, newest)) {
      drop(room);
      return;
    }
    Run* run = find(room);
    if (run != nullptr && run->last() > newest.back().seq) {
      prependOlder(*run, newest);  // the Store read raced with newer appends: keep them
      return;
    }
    if (run == nullptr) run = &insert(room);
    run->events.assign(std::make_move_iterator(newest.begin()),
                       std::make_move_iterator(newest.end()));
    trim(*run);
  }

 private:
  struct Run {
    std::deque<StoredEvent> events;
    std::list<RoomId>::iterator lru;
    Seq first() const { return events.front().seq; }
    Seq last() const { return events.back().seq; }
  };

  static bool isRun(RoomId room, const std::vector<StoredEvent>& events) {
    if (events.empty()) return false;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].room_id != room) return false;
      if (i > 0 && events[i].seq != events[i - 1].seq + 1) return false;
    }
    return true;
  }

  // Adds the events of `older` that precede `run` when the two join up.
  void prependOlder(Run& run, std::vector<StoredEvent>& older) {
    if (older.back().seq + 1 < run.first()) return;  // a gap between them: keep the newer run
    for (auto it = older.rbegin(); it != older.rend(); ++it) {
      if (it->seq < run.first()) run.events.push_front(std::move(*it));
    }
    trim(run);
  }

  // Marks the room most recently used.
  Run* find(RoomId room) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
  }

  // `room` must not be cached. Evicts the least recently used rooms beyond max_rooms_; the
  // new room is the most recent and max_rooms_ >= 1 (enabled_), so it survives.
  Run& insert(RoomId room) {
    lru_.push_front(room);
    auto [it, inserted] = rooms_.try_emplace(room);
    assert(inserted);
    it->second.lru = lru_.begin();
    while (rooms_.size() > max_rooms_) {
      rooms_.erase(lru_.back());
      lru_.pop_back();
    }
    return it->second;
  }

  void drop(RoomId room) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    lru_.erase(it->second.lru);
    rooms_.erase(it);
  }

  void trim(Run& run) {
    while (run.events.size() > per_room_) run.events.pop_front();
  }

  const std::size_t per_room_;
  const std::size_t max_rooms_;
  const bool enabled_;
  std::unordered_map<RoomId, Run> rooms_;
  std::list<RoomId> lru_;  // most recently used first
};

// Fixed windows: [now - now % window_ms, + window_ms). Not thread-safe, like RecentEvents.
class RateLimiter {
 public:
  explicit RateLimiter(std::size_t max_keys) : max_keys_(std::max<std::size_t>(max_keys, 1)) {}

  RateDecision hit(const std::string& key, int limit, Millis window_ms, Millis now) {
    return charge(key, 1, limit, window_ms, now);
  }

  RateDecision charge(const std::string& key, std::int64_t amount, std::int64_t limit,
                      Millis window_ms, Millis now) {
    // A caller's configuration error, not input: there is no window to count in.
    assert(window_ms > 0);
    if (window_ms <= 0) return {};
    expire(now);
    auto it = windows_.find(key);
    if (it == windows_.end()) it = start(key, window_ms, now);
    Window& w = it->second;
    if (amount > 0 && w.count + amount > limit) return {false, w.end - now};
    w.count = std::max<std::int64_t>(0, w.count + amount);
    return {};
  }

 private:
  using Ends = std::multimap<Millis, const std::string*>;  // window end -> key in windows_
  struct Window {
    Millis end = 0;
    std::int64_t count = 0;
    Ends::iterator by_end;
  };

  // Drops every window that has ended; each window is dropped once, so this is amortised.
  void expire(Millis now) {
    while (!ends_.empty() && ends_.begin()->first <= now) forgetEarliest();
  }

  void forgetEarliest() {
    windows_.erase(*ends_.begin()->second);
    ends_.erase(ends_.begin());
  }

  std::unordered_map<std::string, Window>::iterator start(const std::string& key, Millis window_ms,
                                                          Millis now) {
    if (windows_.size() >= max_keys_) forgetEarliest();
    Millis offset = now % window_ms;
    if (offset < 0) offset += window_ms;  // floor, for times before the epoch
    auto it = windows_.try_emplace(key).first;
    it->second.end = now - offset + window_ms;
    // Keys of an unordered_map never move, so the index may point at them.
    it->second.by_end = ends_.emplace(it->second.end, &it->first);
    return it;
  }

  const std::size_t max_keys_;
  std::unordered_map<std::string, Window> windows_;
  Ends ends_;
};

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const MemoryCacheOptions& o)
      : events_(o.events_per_room, o.max_rooms), limits_(o.max_rate_keys) {}

  // Each method does its work under the lock, then completes without suspending.
  boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> recentEvents(RoomId room,
                                                                               Seq after,
                                                                               int limit) override {
    std::optional<std::vector<StoredEvent>> got;
    {
      std::lock_guard lock(events_mu_);
      got = events_.read(room, after, limit);
    }
    co_return got;
  }

  boost::asio::awaitable<void> appendEvent(StoredEvent e) override {
    {
      std::lock_guard lock(events_mu_);
      events_.append(std::move(e));
    }
    co_return;
  }

  boost::asio::awaitable<void> replaceEvent(StoredEvent e) override {
    {
      std::lock_guard lock(events_mu_);
      events_.replace(std::move(e));
    }
    co_return;
  }

  boost::asio::awaitable<void> fill(RoomId room, std::vector<StoredEvent> newest) override {
    {
      std::lock_guard lock(events_mu_);
      events_.fill(room, std::move(newest));
    }
    co_return;
  }

  boost::asio::awaitable<RateDecision> hit(std::string key, int limit, Millis window_ms,
                                           Millis now) override {
    RateDecision d;
    {
      std::lock_guard lock(limits_mu_);
      d = limits_.hit(key, limit, window_ms, now);
    }
    co_return d;
  }

  boost::asio::awaitable<RateDecision> charge(std::string key, std::int64_t amount,
                                              std::int64_t limit, Millis window_ms,
                                              Millis now) override {
    RateDecision d;
    {
      std::lock_guard lock(limits_mu_);
      d = limits_.charge(key, amount, limit, window_ms, now);
    }
    co_return d;
  }

  boost::asio::awaitable<std::optional<CachedSession>> session(std::string token_hash) override {
    std::optional<CachedSession> got;
    {
      std::lock_guard lock(sessions_mu_);
      auto it = sessions_.find(token_hash);
      if (it != sessions_.end() && it->second.expires > std::chrono::steady_clock::now()) {
        got = it->second.value;
      }
    }
    co_return got;
  }

  boost::asio::awaitable<void> putSession(std::string token_hash, CachedSession s,
                                          Millis ttl_ms) override {
    {
      std::lock_guard lock(sessions_mu_);
      if (sessions_.size() >= kMaxSessions) sessions_.clear();  // bounded; refills from the Store
      sessions_[std::move(token_hash)] = {
          std::move(s), std::chrono::steady_clock::now() + std::chrono::milliseconds(ttl_ms)};
    }
    co_return;
  }

  boost::asio::awaitable<void> dropSession(std::string token_hash) override {
    {
      std::lock_guard lock(sessions_mu_);
      sessions_.erase(token_hash);
    }
    co_return;
  }

  boost::asio::awaitable<void> presenceLease(std::string node, std::vector<UserId> users,
                                             Millis ttl_ms, Millis now) override {
    {
      std::lock_guard lock(presence_mu_);
      for (UserId u : users) leases_[u][node] = now + ttl_ms;
    }
    co_return;
  }

  boost::asio::awaitable<void> presenceRelease(std::string node, UserId user) override {
    {
      std::lock_guard lock(presence_mu_);
      if (auto it = leases_.find(user); it != leases_.end()) {
        it->second.erase(node);
        if (it->second.empty()) leases_.erase(it);
      }
    }
    co_return;
  }

  boost::asio::awaitable<std::vector<UserId>> onlineAmong(std::vector<UserId> users,
                                                          Millis now) override {
    std::vector<UserId> online;
    {
      std::lock_guard lock(presence_mu_);
      for (UserId u : users) {
        auto it = leases_.find(u);
        if (it == leases_.end()) continue;
        for (auto& [node, until] : it->second) {
          if (until > now) {
            online.push_back(u);
            break;
          }
        }
      }
    }
    co_return online;
  }

 private:
  static constexpr std::size_t kMaxSessions = 100000;
  struct SessionEntry {
    CachedSession value;
    std::chrono::steady_clock::time_point expires;
  };

  std::mutex events_mu_;
  RecentEvents events_;  // guarded by events_mu_
  std::mutex limits_mu_;
  RateLimiter limits_;  // guarded by limits_mu_
  std::mutex sessions_mu_;
  std::unordered_map<std::string, SessionEntry> sessions_;  // guarded by sessions_mu_
  std::mutex presence_mu_;
  std::unordered_map<UserId, std::unordered_map<std::string, Millis>>
      leases_;  // guarded by presence_mu_
};

}  // namespace

CachePtr makeMemoryCache(MemoryCacheOptions opts) { return std::make_unique<MemoryCache>(opts); }

}  // namespace parley::memory
