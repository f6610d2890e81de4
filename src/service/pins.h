// Pins and notification levels (docs/api.md "Pins", "Notifications"; room settings are
// service/room_settings.h).
//
// A pin or unpin is an event of the room's timeline (kind pin / unpin, its own seq, no
// body), so it is stored, cached, fanned out and replayed on resume exactly as a reaction
// is. Who may pin is the room's `pins` setting, checked by the Store in the storing
// transaction. Levels are plain rows: read back through GET /rooms.
//
// Thread-safe: holds no per-call state. Every call charges the caller's --send-rate bucket
// first, then checks membership at that moment (a room the caller may not see answers as
// a missing one).
#pragma once

#include <optional>
#include <string>

#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/messages.h"

namespace parley {

class PinService {
 public:
  PinService(Store& store, Cache& cache, MessageService& messages, const Clock& clock,
             const ServiceLimits& limits)
      : store_(store), cache_(cache), messages_(messages), clock_(clock), limits_(limits) {}

  // add: pin; else unpin. The new pin/unpin event, or none when nothing changed (already
  // pinned, or not pinned). forbidden for a plain member where pins are for admins;
  // not_found "no such message" for a seq that is no live message; conflict past
  // max_pins.
  Task<Result<std::optional<Event>>> change(const User& user, RoomId room, Seq target, bool add);
  // `{"pins":[{"seq","pinned_by","pinned_at","message":event}...]}`, newest pin first.
  Task<Result<std::string>> listJson(UserId user, RoomId room);

  // The caller's own notification level and mute in a room they are a member of.
  Task<Status> setNotifications(const User& user, RoomId room, NotifyLevel level, bool muted);

 private:
  Store& store_;
  Cache& cache_;
  MessageService& messages_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley
