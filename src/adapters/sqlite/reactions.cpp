// Reactions (Store::append of kind react/unreact, and Store::reactionsBy): one row per
// (message, emoji, user) in `reactions`, and the aggregate the Store keeps on the message
// row (events.reactions) so that every read of a message carries it without a join.
#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

bool hasReaction(Db& db, const AppendRequest& r) {
  return db
      .prepare(
          "SELECT 1 FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?")
      .bind(r.room_id, r.target, r.emoji, r.sender)
      .step();
}

// A new emoji on a message that has max_emoji distinct ones already is refused.
Status checkEmojiLimit(Db& db, const AppendRequest& r) {
  if (db.prepare("SELECT 1 FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ?")
          .bind(r.room_id, r.target, r.emoji)
          .step()) {
    return {};
  }
  Stmt st = db.prepare("SELECT count(DISTINCT emoji) FROM reactions WHERE room_id = ? AND seq = ?");
  st.bind(r.room_id, r.target).step();
  if (st.int64(0) >= r.max_emoji) {
    return makeError(Code::conflict, "this message has as many different reactions as it may");
  }
  return {};
}

}  // namespace

std::string reactionAggregate(Db& db, RoomId room, Seq seq) {
  std::vector<ReactionCount> counts;
  {
    Stmt st = db.prepare(
        "SELECT emoji, count(*) FROM reactions WHERE room_id = ? AND seq = ? "
        "GROUP BY emoji ORDER BY min(rowid)");
    st.bind(room, seq);
    while (st.step()) counts.push_back({st.text(0), st.int64(1), {}});
  }
  for (auto& c : counts) {
    Stmt st = db.prepare(
        "SELECT user_id FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? "
        "ORDER BY rowid LIMIT ?");
    st.bind(room, seq, c.emoji, kReactionUsersShown);
    while (st.step()) c.first_users.push_back(st.int64(0));
  }
  return reactionsJson(counts);
}

// Membership and the room were checked by append.
Result<AppendResult> changeReaction(Db& db, const AppendRequest& r, Seq (*next_seq)(Db&, RoomId)) {
  auto target = eventAt(db, r.room_id, r.target);
  if (!target || target->kind != EventKind::message || target->deleted) {
    return makeError(Code::not_found, "no such message");
  }
  const bool add = r.kind == EventKind::react;
  if (hasReaction(db, r) == add)
    return AppendResult{.event = std::move(*target), .duplicate = true};
  if (add) {
    if (auto ok = checkEmojiLimit(db, r); !ok) return ok.error();
    db.prepare(
          "INSERT INTO reactions(room_id, seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(r.room_id, r.target, r.emoji, r.sender, r.now)
        .run();
  } else {
    db.prepare("DELETE FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?")
        .bind(r.room_id, r.target, r.emoji, r.sender)
        .run();
  }
  std::string aggregate = reactionAggregate(db, r.room_id, r.target);
  db.prepare("UPDATE events SET reactions = ? WHERE room_id = ? AND seq = ?")
      .bind(aggregate, r.room_id, r.target)
      .run();
  StoredEvent e = storedEventOf(r, next_seq(db, r.room_id));
  e.reactions = std::move(aggregate);
  insertEvent(db, e);
  return AppendResult{.event = std::move(e), .duplicate = false};
}

Result<std::vector<std::pair<Seq, std::string>>> reactionsBy(Db& db, RoomId room, UserId user,
                                                             Seq from, Seq to) {
  Stmt st = db.prepare(
      "SELECT seq, emoji FROM reactions WHERE room_id = ? AND user_id = ? AND seq >= ? "
      "AND seq <= ? ORDER BY seq, rowid");
  st.bind(room, user, from, to);
  std::vector<std::pair<Seq, std::string>> out;
  while (st.step()) out.emplace_back(st.int64(0), st.text(1));
  return out;
}

}  // namespace parley::sqlite::ops
