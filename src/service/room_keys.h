// The per-room data keys: created on first use, wrapped by the KeyProvider, stored in the
// Store, and kept unwrapped in memory only (DESIGN.md invariant 5).
//
// Thread-safe. A key that cannot be unwrapped is an error, never a reason to make a new
// one (that would orphan the room's history).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "ports/key_provider.h"
#include "ports/store.h"

namespace parley {

struct DataKey {
  std::uint32_t version = 0;
  std::string key;  // 32 bytes
};

class RoomKeys {
 public:
  RoomKeys(Store& store, KeyProvider& keys) : store_(store), keys_(keys) {}

  // The key new content of `room` is sealed with; created (version 1) if the room has none.
  Task<Result<DataKey>> current(RoomId room);
  // The current key if this node holds it unwrapped already (no I/O, never creates one).
  std::optional<DataKey> cachedCurrent(RoomId room);
  // The key of `version`, to open content sealed earlier.
  Task<Result<DataKey>> byVersion(RoomId room, std::uint32_t version);

 private:
  Task<Result<DataKey>> unwrap(const RoomKeyRecord& rec);
  static std::string context(RoomId room, std::uint32_t version);

  Store& store_;
  KeyProvider& keys_;
  std::mutex mu_;
  std::map<std::pair<RoomId, std::uint32_t>, std::string> unwrapped_;  // GUARDED_BY(mu_)
  std::map<RoomId, std::uint32_t> current_version_;                    // GUARDED_BY(mu_)
};

}  // namespace parley
