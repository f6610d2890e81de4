// The per-room data keys: created on first use, wrapped by the KeyProvider, stored in the
// Store, and kept unwrapped in memory only (DESIGN.md invariant 5).
//
// The unwrapped keys are cached, bounded: at most `max_cached` (least recently used go
// first), none older than `max_age` since it was unwrapped. So a KeyProvider that is a
// network call (KMS) sees about one unwrap per room key per node per max_age, not one per
// message; and a master key disabled or destroyed in the KMS stops every node from opening
// its rooms within max_age (or at their next restart).
//
// Single-flight: concurrent readers of a key that is not cached share one unwrap: the first
// calls the KeyProvider, the others wait for its answer (success or error) and are resumed on
// their own executors; nothing of a failed unwrap is cached. After a restart a busy room thus
// costs the KMS one call, not one per waiting request.
//
// Thread-safe. A key that cannot be unwrapped is an error, never a reason to make a new
// one (that would orphan the room's history).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "ports/key_provider.h"
#include "ports/store.h"

namespace parley {

struct DataKey {
  std::uint32_t version = 0;
  std::string key;  // 32 bytes
};

struct RoomKeysOptions {
  std::size_t max_cached = 100'000;  // unwrapped keys held; ~150 bytes each
  std::chrono::milliseconds max_age{std::chrono::hours(1)};
};

class RoomKeys {
 public:
  RoomKeys(Store& store, KeyProvider& keys, RoomKeysOptions options = {})
      : store_(store), keys_(keys), options_(options) {}

  // The key new content of `room` is sealed with; created (version 1) if the room has none.
  Task<Result<DataKey>> current(RoomId room);
  // The current key if this node holds it unwrapped already (no I/O, never creates one).
  std::optional<DataKey> cachedCurrent(RoomId room);
  // The key of `version`, to open content sealed earlier.
  Task<Result<DataKey>> byVersion(RoomId room, std::uint32_t version);

  // How many keys are cached now, how many unwraps reached the KeyProvider so far, and how
  // many callers are waiting for an unwrap another one started.
  std::size_t cachedKeys() const;
  std::uint64_t unwrapCalls() const;
  std::size_t waitingOnUnwrap() const;

  // What the wrap of (room, version) is bound to: "parley/room-key/v1|ROOM|VERSION".
  static std::string context(RoomId room, std::uint32_t version);
  // The KeyProvider shred scope every key of `room` is wrapped in: "room:ROOM".
  static std::string scopeOf(RoomId room);

  // Crypto-shredding a room (docs/security.md, "Deleting a room"): forgets every cached key
  // of `room` on this node and keeps it from caching one again, then has the KeyProvider
  // destroy the room's scope (when it can shred: canShred()). The caller deletes the wrapped
  // keys from the Store and tells the other nodes to evict().
  Task<Status> destroy(RoomId room);
  // Forgets every cached key of `room` on this node, for good (the room was deleted).
  void evict(RoomId room);
  bool canShred() const { return keys_.canShred(); }

 private:
  using Slot = std::pair<RoomId, std::uint32_t>;
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Entry {
    std::string key;
    SteadyTime unwrapped_at;
    std::list<Slot>::iterator lru;
  };

  struct Flight;  // one unwrap in progress, and who waits for it (room_keys.cpp)
  using FlightPtr = std::shared_ptr<Flight>;

  Task<Result<DataKey>> unwrap(const RoomKeyRecord& rec);
  // Calls the KeyProvider for `rec`, then hands the answer to every waiter of `flight`.
  Task<Result<std::string>> lead(const RoomKeyRecord& rec, FlightPtr flight);
  // Resumes the caller, on its own executor, with the answer of `flight`.
  Task<Result<std::string>> join(FlightPtr flight);
  // Settles `flight` with `key` (caching it on success) and resumes its waiters.
  void land(Slot slot, const FlightPtr& flight, const Result<std::string>& key);
  // Under mu_: the cached key of `slot` if present and young enough (it becomes the most
  // recently used); an expired one is dropped.
  std::optional<std::string> lookupLocked(Slot slot);
  // Under mu_: caches `key` for `slot`, evicting the least recently used beyond max_cached.
  void rememberLocked(Slot slot, const std::string& key);
  void eraseLocked(std::map<Slot, Entry>::iterator it);

  Store& store_;
  KeyProvider& keys_;
  const RoomKeysOptions options_;
  mutable std::mutex mu_;
  std::map<Slot, Entry> cache_;                      // GUARDED_BY(mu_)
  std::list<Slot> lru_;                              // GUARDED_BY(mu_); front: most recent
  std::map<RoomId, std::uint32_t> current_version_;  // GUARDED_BY(mu_); rooms in cache_ only
  std::uint64_t unwrap_calls_ = 0;                   // GUARDED_BY(mu_)
  std::map<Slot, FlightPtr> flights_;                // GUARDED_BY(mu_); unwraps in progress
  std::size_t waiting_ = 0;                          // GUARDED_BY(mu_)
  std::set<RoomId> evicted_;  // GUARDED_BY(mu_); deleted rooms, never cached again
};

}  // namespace parley
