// PageCache: this node's copy of the newest history page of recently read rooms, rendered
// (the JSON body of `GET /rooms/{id}/messages` without before/after), so that a repeated
// read costs a membership check and a copy instead of a cache or store read, N opens and
// the JSON writer.
//
// Validity is by version, not by messages seen: an entry carries the room's last seq at
// the time its content was read, and is served only to a read whose membership check (the
// same store statement) returned that same last seq. Every change to a room's timeline
// (send, edit, delete) appends an event and so moves last_seq, on whichever node it
// happened, so a page is never served after a change its reader's check could see.
// Local writes drop the room's entries as well (memory, not correctness).
//
// Plaintext lives here only in node memory (invariant 5); a body is wiped when its last
// holder lets it go. Bounded by bytes: least recently used entries go first; a page larger
// than the whole bound is not kept. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/types.h"

namespace parley {

class PageCache {
 public:
  using Body = std::shared_ptr<const std::string>;

  // max_bytes 0: keeps nothing.
  explicit PageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  ~PageCache() { clear(); }
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  // The page of `limit` messages of `room` if it was read at `last_seq`; else null.
  Body find(RoomId room, int limit, Seq last_seq);
  // Keeps `body` as the room's page read at `last_seq` (one page per room: it replaces a
  // page of another limit), unless a page read later is already kept. Returns the shared
  // body (to answer with), kept or not.
  Body put(RoomId room, int limit, Seq last_seq, std::string body);
  // Forgets every page of `room` (a local write, or the room's keys are gone).
  void dropRoom(RoomId room);
  void clear();

  std::size_t bytes() const;
  std::size_t entries() const;

  // The bytes an entry counts against the bound: its body plus bookkeeping.
  static std::size_t cost(std::size_t body_size) { return body_size + kEntryOverhead; }

 private:
  static constexpr std::size_t kEntryOverhead = 128;
  struct Entry {
    RoomId room;
    int limit;
    Seq last_seq;
    Body body;
  };
  using Lru = std::list<Entry>;  // most recently used first

  // Unlinks `it`; its body goes to `released`, to be let go outside the lock.
  void eraseLocked(Lru::iterator it, std::vector<Body>& released);

  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  Lru lru_;                                          // GUARDED_BY(mu_)
  std::unordered_map<RoomId, Lru::iterator> index_;  // GUARDED_BY(mu_)
  std::size_t bytes_ = 0;                            // GUARDED_BY(mu_)
};

}  // namespace parley
