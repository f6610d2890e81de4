// The in-process Cache: recent events and rate-limit windows in this node's memory.
// For a single node (the embedded default) and for tests. Every method completes without
// suspending; all state sits behind two mutexes (events, rate limits).
#pragma once

#include <cstddef>

#include "ports/cache.h"

namespace parley::memory {

struct MemoryCacheOptions {
  // Newest events kept per room; older ones are trimmed (a read reaching further misses).
  std::size_t events_per_room = 100;
  // Rooms kept; the least recently used (read, appended, replaced or filled) go first.
  // Zero in either field disables event caching: every read misses.
  std::size_t max_rooms = 10000;
  // Rate-limit keys kept. Ended windows are dropped first; if the bound is still reached,
  // the window closest to its end is forgotten (that key's count restarts: fails open for
  // one key rather than closed for all).
  std::size_t max_rate_keys = 100000;
};

// Beyond the port's contract:
// - appendEvent on an uncached room starts a one-event run (it proves every event after
//   seq - 1 is held); this keeps a slower concurrent `fill` from hiding that event.
// - fill never replaces a run that reaches a higher seq: it only prepends the older events
//   when they join up, else it is ignored. An empty or non-contiguous fill drops the room.
// - A rate-limit key keeps its window until the window ends, even if later hits pass a
//   different `window_ms`. Requires window_ms > 0; a hit with limit <= 0 is denied.
CachePtr makeMemoryCache(MemoryCacheOptions opts = {});

}  // namespace parley::memory
