// One connection's view of its rooms' timelines: exactly once, in seq order (invariant 4).
//
// The feed remembers, per room, the last seq it handed to the connection. A live event at
// or below it is a duplicate and dropped; one beyond the next seq means a wake-up was lost,
// and the gap is filled from the cache or Store first. Replay after `hello` uses the same
// path, so resume and live delivery cannot disagree.
//
// Not thread-safe: owned by one connection and used only on its strand.
#pragma once

#include <unordered_map>
#include <vector>

#include "service/envelope.h"
#include "service/messages.h"

namespace parley {

class LiveFeed {
 public:
  LiveFeed(MessageService& messages, UserId me, int max_replay)
      : messages_(messages), me_(me), max_replay_(max_replay) {}

  // What to write, in order.
  using Frames = std::vector<LiveItem>;

  // Starts tracking `room` with the client holding everything up to `have`; returns the
  // frames that bring it up to `last_seq` (or one `resync` frame if that is too many).
  Task<Result<Frames>> start(RoomId room, Seq have, Seq last_seq);
  // Turns one item from the Hub (or a reply) into the frames to write now. An error means
  // the Store could not fill a gap: the connection should close and the client resume.
  Task<Result<Frames>> process(LiveItem item);
  // The common case, without the Store: appends the frames for `item` to `out` and returns
  // true. Returns false, changing nothing, when the item needs process() (a gap to fill,
  // or a room just added).
  bool tryProcess(LiveItem& item, Frames& out);
  // Frames for everything committed after what was delivered, in every tracked room.
  Task<Result<Frames>> catchUpAll();

  bool tracks(RoomId room) const { return delivered_.count(room) != 0; }

 private:
  Task<Status> fill(RoomId room, Seq before, Frames& out);

  MessageService& messages_;
  UserId me_;
  int max_replay_;
  std::unordered_map<RoomId, Seq> delivered_;
};

}  // namespace parley
