#include "service/room_keys.h"

#include <fmt/format.h>

#include "crypto/sealer.h"

namespace parley {

std::string RoomKeys::context(RoomId room, std::uint32_t version) {
  return fmt::format("parley/room-key/v1|{}|{}", room, version);
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
  if (options_.max_cached == 0) return;
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

Task<Result<DataKey>> RoomKeys::unwrap(const RoomKeyRecord& rec) {
  // Named, not a temporary in the co_await (g++ 12: src/README.md).
  std::string ctx = context(rec.room_id, rec.version);
  {
    std::lock_guard lock(mu_);
    ++unwrap_calls_;
  }
  auto key = co_await keys_.unwrap(rec.wrapped, std::move(ctx));
  if (!key) co_return key.error();
  std::lock_guard lock(mu_);
  rememberLocked({rec.room_id, rec.version}, *key);
  co_return DataKey{rec.version, *key};
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
  auto wrapped = co_await keys_.wrap(fresh, std::move(ctx));
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
