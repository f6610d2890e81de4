// Room settings (docs/api.md "Room settings"): name, topic, public or private, archived,
// who may post, who may say @room and who may pin. A change is a timeline event (kind
// settings, its own seq) whose sealed body holds every setting as it is after the change
// and which ones changed, so it is stored, cached, fanned out and replayed on resume as a
// message is, and the room row and its newest settings event never disagree (one Store
// transaction writes both).
//
// Thread-safe: holds no per-call state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/messages.h"
#include "service/room_keys.h"

namespace parley {

// What PATCH /rooms/{id} asks to change; an absent field keeps its value.
struct SettingsPatch {
  std::optional<std::string> name;
  std::optional<std::string> topic;
  std::optional<bool> is_public;
  std::optional<bool> archived;
  std::optional<WhoMay> post;
  std::optional<WhoMay> room_mentions;
  std::optional<WhoMay> pins;
  bool empty() const {
    return !name && !topic && !is_public && !archived && !post && !room_mentions && !pins;
  }
};

// A room name or topic as it is stored: trimmed of Unicode white space at both ends, valid
// UTF-8, no control characters (C0, C1, line and paragraph separators, bidirectional
// embeddings, overrides and isolates), at most `max_bytes` (a name also at least one
// character). bad_request naming the field otherwise. Pure.
Result<std::string> checkRoomText(std::string_view raw, std::string_view field,
                                  std::size_t max_bytes, bool may_be_empty);

// Checks every set field of `p` (name and topic normalised in place) against `limits`;
// nothing is changed unless all pass.
Status checkPatch(SettingsPatch& p, const ServiceLimits& limits);

// The settings event's body: {"name","topic","public","archived","post","room_mentions",
// "pins","changed":[field names, in that order]}. Pure.
std::string settingsBody(const SettingsChange& after, const std::vector<std::string>& changed);

class RoomSettingsService {
 public:
  RoomSettingsService(Store& store, Cache& cache, MessageService& messages, RoomKeys& keys,
                      const Clock& clock, const ServiceLimits& limits)
      : store_(store),
        cache_(cache),
        messages_(messages),
        keys_(keys),
        clock_(clock),
        limits_(limits) {}

  struct Changed {
    Room room;                   // after the call
    std::optional<Event> event;  // none when the patch changed nothing
  };
  // Owners and admins of a group room change its settings, and so does a server admin
  // (`user.admin`, read by the caller from the Store) in any room they can name. Charges
  // the --send-rate bucket first. A caller who may not see the room gets requireMember's
  // answer; a plain member, or any member of a direct room, forbidden. `p` is checked
  // (checkPatch, and bad_request when it is empty) before anything else, so a bad body
  // answers alike for every room.
  Task<Result<Changed>> change(const User& user, RoomId room, SettingsPatch p);

 private:
  Store& store_;
  Cache& cache_;
  MessageService& messages_;
  RoomKeys& keys_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley
