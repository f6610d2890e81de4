#include "service/live_feed.h"

#include "service/frames.h"

namespace parley {

// Appends the events of `room` after delivered_[room] and before `before` to `out`.
Task<Status> LiveFeed::fill(RoomId room, Seq before, Frames& out) {
  Seq& have = delivered_[room];
  while (before == kSeqMax || have + 1 < before) {
    if (before != kSeqMax && before - have - 1 > max_replay_) {
      out.push_back(directItem(frames::resync(room, before - 1)));
      have = before - 1;
      break;
    }
    auto events = co_await messages_.timeline(room, have, before, max_replay_ + 1);
    if (!events) co_return events.error();
    if (events->empty()) break;
    if (static_cast<int>(events->size()) > max_replay_) {
      Seq last = events->back().meta.seq;
      out.push_back(directItem(frames::resync(room, last)));
      have = last;
      if (before == kSeqMax) break;  // later events arrive live, or fill again from here
      continue;
    }
    for (auto& e : *events) {
      if (e.meta.seq <= have) continue;
      have = e.meta.seq;
      LiveItem item = directItem(frames::event(e));
      item.env = Envelope::event(room, e.meta.seq, e.meta.sender);
      out.push_back(std::move(item));
    }
    if (before == kSeqMax) break;
  }
  co_return Status{};
}

Task<Result<LiveFeed::Frames>> LiveFeed::start(RoomId room, Seq have, Seq last_seq) {
  Frames out;
  delivered_[room] = have;
  if (last_seq - have > max_replay_) {
    out.push_back(directItem(frames::resync(room, last_seq)));
    delivered_[room] = last_seq;
    co_return out;
  }
  if (last_seq > have) {
    auto ok = co_await fill(room, last_seq + 1, out);
    if (!ok) co_return ok.error();
  }
  co_return out;
}

bool LiveFeed::tryProcess(LiveItem& item, Frames& out) {
  const Envelope env = item.env;
  switch (env.kind) {
    case FrameKind::event: {
      auto it = delivered_.find(env.room);
      if (it == delivered_.end() || env.seq <= it->second) return true;  // not mine, or seen
      if (env.seq > it->second + 1) return false;                        // a gap: fill first
      it->second = env.seq;
      out.push_back(std::move(item));
      return true;
    }
    case FrameKind::room_added:
      if (tracks(env.room)) return true;  // already a member here (e.g. a direct room)
      return false;
    case FrameKind::room_removed:
      delivered_.erase(env.room);
      break;
    case FrameKind::member_gone:
      if (env.user == me_) delivered_.erase(env.room);
      break;
    case FrameKind::typing:
      if (env.user == me_) return true;
      break;
    default:
      break;
  }
  out.push_back(std::move(item));
  return true;
}

Task<Result<LiveFeed::Frames>> LiveFeed::process(LiveItem item) {
  Frames out;
  if (tryProcess(item, out)) co_return out;
  const Envelope env = item.env;
  if (env.kind == FrameKind::event) {
    auto ok = co_await fill(env.room, env.seq, out);
    if (!ok) co_return ok.error();
    delivered_[env.room] = env.seq;
    out.push_back(std::move(item));
    co_return out;
  }
  // A room just added: its frame, then everything committed in it so far.
  out.push_back(std::move(item));
  delivered_[env.room] = env.seq;
  auto ok = co_await fill(env.room, kSeqMax, out);
  if (!ok) co_return ok.error();
  co_return out;
}

Task<Result<LiveFeed::Frames>> LiveFeed::catchUpAll() {
  Frames out;
  std::vector<RoomId> rooms;
  for (auto& [room, seq] : delivered_) rooms.push_back(room);
  for (RoomId room : rooms) {
    auto ok = co_await fill(room, kSeqMax, out);
    if (!ok) co_return ok.error();
  }
  co_return out;
}

}  // namespace parley
