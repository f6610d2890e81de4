#include "service/room_keys.h"

#include <fmt/format.h>

#include "crypto/sealer.h"

namespace parley {

std::string RoomKeys::context(RoomId room, std::uint32_t version) {
  return fmt::format("parley/room-key/v1|{}|{}", room, version);
}

Task<Result<DataKey>> RoomKeys::unwrap(const RoomKeyRecord& rec) {
  // Arguments to coroutines are named values, never temporaries: g++ 12 destroys a
  // temporary passed by value inside a co_await expression twice.
  std::string ctx = context(rec.room_id, rec.version);
  auto key = co_await keys_.unwrap(rec.wrapped, std::move(ctx));
  if (!key) co_return key.error();
  std::lock_guard lock(mu_);
  unwrapped_[{rec.room_id, rec.version}] = *key;
  auto& cur = current_version_[rec.room_id];
  cur = std::max(cur, rec.version);
  co_return DataKey{rec.version, *key};
}

Task<Result<DataKey>> RoomKeys::current(RoomId room) {
  {
    std::lock_guard lock(mu_);
    if (auto v = current_version_.find(room); v != current_version_.end()) {
      co_return DataKey{v->second, unwrapped_.at({room, v->second})};
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
  unwrapped_[{room, 1}] = fresh;
  current_version_[room] = std::max(current_version_[room], 1u);
  co_return DataKey{1, std::move(fresh)};
}

std::optional<DataKey> RoomKeys::cachedCurrent(RoomId room) {
  std::lock_guard lock(mu_);
  auto v = current_version_.find(room);
  if (v == current_version_.end()) return std::nullopt;
  return DataKey{v->second, unwrapped_.at({room, v->second})};
}

Task<Result<DataKey>> RoomKeys::byVersion(RoomId room, std::uint32_t version) {
  {
    std::lock_guard lock(mu_);
    if (auto k = unwrapped_.find({room, version}); k != unwrapped_.end()) {
      co_return DataKey{version, k->second};
    }
  }
  auto rec = co_await store_.roomKey(room, version);
  if (!rec) co_return rec.error();
  co_return co_await unwrap(*rec);
}

}  // namespace parley
