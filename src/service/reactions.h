// Reactions: one user adds or takes back one emoji on a message. Each change is an event of
// the room's timeline (kind react / unreact, its own seq), so it is stored, cached, fanned
// out and replayed on resume exactly as edits are. The target's aggregate (emoji, count,
// first users) is kept by the Store on the message row and carried by every read of it;
// whether *I* reacted is per viewer, so it is never in a shared payload: live events say
// who reacted (the client compares with itself), history pages add `my_reactions`.
//
// Thread-safe: holds no per-call state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/messages.h"
#include "service/room_keys.h"

namespace parley {

class ReactionService {
 public:
  ReactionService(Store& store, Cache& cache, MessageService& messages, RoomKeys& keys,
                  const Clock& clock, const ServiceLimits& limits)
      : store_(store),
        cache_(cache),
        messages_(messages),
        keys_(keys),
        clock_(clock),
        limits_(limits) {}

  struct Changed {
    std::optional<Event> event;  // none when nothing changed (already so)
    std::string reactions;       // the target's aggregate after the call (JSON array text)
  };
  // add: react; else take back. bad_request "unknown emoji" for what canonicalEmoji refuses
  // (checked first, so a room the caller may not see answers as a missing one); then the
  // sender's --send-rate bucket, shared with sends, edits and deletes (rate_limited); then
  // membership (requireMember's answers); not_found for a message that is not live; conflict when a
  // new emoji would pass the limit.
  Task<Result<Changed>> change(const User& user, RoomId room, Seq target, std::string emoji,
                               bool add);

  // A history page body (docs/api.md) with "my_reactions" added: {"<seq>": [emoji...]} for
  // the page's messages `user` reacted to. Read only when the page shows any reaction; the
  // caller has checked membership (historyJson).
  Task<Result<std::string>> withMine(UserId user, RoomId room, std::string body);

 private:
  Task<Status> charge(UserId user);

  Store& store_;
  Cache& cache_;
  MessageService& messages_;
  RoomKeys& keys_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

// Gives every message in `events` the aggregate of the last react/unreact event among
// `events` that targets it (none for a deleted message). A cached run may hold a message's
// copy from before later reactions (copies are not rewritten on a reaction, so racing
// writers cannot leave an older aggregate last); the run then holds those reactions' events,
// since they come after the message.
void applyReactions(std::vector<StoredEvent>& events);

}  // namespace parley
