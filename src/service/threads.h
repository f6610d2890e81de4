// Threads: a reply is a message sent with `thread_root` (MessageService::send); the Store
// keeps the root's summary (reply count, last reply time, first participants) on the root
// row and on every event that changed it, so history carries it and live events (the reply,
// the delete of a reply) bring the new one. The main timeline's history shows roots, not
// replies; a thread is paged here. Following a thread is per user: replying in a thread or
// having sent its root follows it; a follower has a marker and an unread count.
//
// Thread-safe: holds no per-call state. Every call checks membership at that moment.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ports/store.h"
#include "service/messages.h"

namespace parley {

class ThreadService {
 public:
  ThreadService(Store& store, MessageService& messages, const Clock& clock)
      : store_(store), messages_(messages), clock_(clock) {}

  // The page body of GET /rooms/{id}/messages?thread=ROOT (docs/api.md): `{"root": event,
  // "messages": [replies...], "has_more": B}`, replies paged as history is (before/after,
  // limit). requireMember's answers first; then not_found "no such thread root" unless
  // `root` is a message of the room on the main timeline (a deleted one keeps its thread).
  Task<Result<std::string>> page(UserId user, RoomId room, Seq root, std::optional<Seq> before,
                                 std::optional<Seq> after, std::optional<int> limit);
  // Follow (or stop following) the thread of `root`; the same checks as page.
  Task<Status> follow(UserId user, RoomId room, Seq root, bool on);
  // Moves the caller's marker in the thread forward; returns it (0 when the caller has
  // never followed the thread). bad_request for a negative seq.
  Task<Result<Seq>> markRead(UserId user, RoomId room, Seq root, Seq seq);
  // `{"threads": [{"room": R, "root": event, "unread": N, "last_read_seq": S}...]}`: the
  // threads the caller follows in rooms they are in, the most recent reply first.
  Task<Result<std::string>> followed(UserId user);

  static constexpr int kFollowedShown = 100;

 private:
  // requireMember, then the root's check; the root.
  Task<Result<StoredEvent>> rootOf(UserId user, RoomId room, Seq root);

  Store& store_;
  MessageService& messages_;
  const Clock& clock_;
};

// Gives every main-timeline message in `events` the summary of the last event among
// `events` in its thread (a reply, or the delete of one). A cached run may hold a root's
// copy from before later replies (copies are not rewritten on a reply, as for reactions);
// the run then holds those replies, since they come after the root.
void applyThreads(std::vector<StoredEvent>& events);

}  // namespace parley
