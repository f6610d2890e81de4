#include <algorithm>

#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

std::string eventSelect(const char* where) {
  return std::string("SELECT ") + kEventColumns + " FROM events " + where;
}

std::optional<StoredEvent> byClientMsgId(Db& db, const AppendRequest& r) {
  Stmt st = db.prepare(
      eventSelect("WHERE room_id = ? AND sender = ? AND client_msg_id = ? AND kind = 'message'"));
  if (!st.bind(r.room_id, r.sender, r.client_msg_id).step()) return std::nullopt;
  return readEvent(st);
}

bool isMessage(Db& db, RoomId room, Seq seq) {
  return db.prepare("SELECT 1 FROM events WHERE room_id = ? AND seq = ? AND kind = 'message'")
      .bind(room, seq)
      .step();
}

struct Mentions {
  std::vector<UserId> ids;
  int flags = 0;
};

// @room and @here as the room lets the sender say them (Room::room_mentions).
int allowedFlags(Db& db, const AppendRequest& r) {
  const int asked =
      (r.mention_room ? kMentionRoomFlag : 0) | (r.mention_here ? kMentionHereFlag : 0);
  if (asked == 0) return 0;
  const bool restricted =
      db.prepare(
            "SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id WHERE rr.id = ? "
            "AND rr.kind = 'group' AND rr.room_mentions = 'admins' AND mm.user_id = ? "
            "AND mm.role = 'member'")
          .bind(r.room_id, r.sender)
          .step();
  return restricted ? 0 : asked;
}

// The members of the room that `r` mentions by name, ascending: members now, inside the
// storing transaction, so a name that is no member's at commit is no mention.
Mentions resolveMentions(Db& db, const AppendRequest& r) {
  std::vector<UserId> ids;
  const std::size_t n = std::min(r.mention_names.size(), kMaxMentionNames);
  for (std::size_t i = 0; i < n; ++i) {
    Stmt st = db.prepare(
        "SELECT u.id FROM users u JOIN members m ON m.user_id = u.id "
        "WHERE m.room_id = ? AND u.username_lower = ?");
    if (st.bind(r.room_id, usernameKey(r.mention_names[i])).step()) ids.push_back(st.int64(0));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return Mentions{std::move(ids), allowedFlags(db, r)};
}

// Checks an edit or delete against its target, then applies it to the target row, so
// that readers of messages see them with edits and deletes applied. `mentions`: an edit's.
Status changeTarget(Db& db, const AppendRequest& r, const Mentions& mentions) {
  {
    Stmt st = db.prepare(
        "SELECT sender FROM events "
        "WHERE room_id = ? AND seq = ? AND kind = 'message' AND deleted = 0");
    if (!st.bind(r.room_id, r.target).step()) {
      return makeError(Code::not_found, "no live message at the target seq");
    }
    if (st.int64(0) != r.sender) {
      return makeError(Code::forbidden, "only its sender may change a message");
    }
  }
  if (r.kind == EventKind::edit) {
    // The mentions are the new text's (resolved by append before this runs).
    db.prepare(
          "UPDATE events SET sealed_body = ?, key_version = ?, edited_at = ?, mentions = ?, "
          "mention_flags = ? WHERE room_id = ? AND seq = ?")
        .bind(Blob{r.target_sealed_body}, r.key_version, r.now, joinIds(mentions.ids),
              mentions.flags, r.room_id, r.target)
        .run();
  } else {
    // A deleted message keeps no reactions and mentions nobody.
    db.prepare(
          "UPDATE events SET sealed_body = x'', deleted = 1, reactions = '', mentions = '', "
          "mention_flags = 0 WHERE room_id = ? AND seq = ?")
        .bind(r.room_id, r.target)
        .run();
    db.prepare("DELETE FROM reactions WHERE room_id = ? AND seq = ?")
        .bind(r.room_id, r.target)
        .run();
    db.prepare("DELETE FROM pins WHERE room_id = ? AND seq = ?").bind(r.room_id, r.target).run();
    deleteFilesOf(db, r.room_id, r.target);
  }
  return {};
}

// Invariant 2: the seq comes from the room row, inside the transaction storing the event.
Seq nextSeq(Db& db, RoomId room) {
  Stmt st = db.prepare("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq");
  st.bind(room).step();  // the room's existence was checked in this transaction
  return st.int64(0);
}

Status validate(Db& db, const AppendRequest& r, const Mentions& mentions) {
  if (r.kind != EventKind::message) return changeTarget(db, r, mentions);
  if (r.client_msg_id.empty()) {
    return makeError(Code::bad_request, "a message needs a client_msg_id");
  }
  if (r.reply_to != 0 && !isMessage(db, r.room_id, r.reply_to)) {
    return makeError(Code::bad_request, "reply_to does not name a message of this room");
  }
  return {};
}

// The thread of a delete's target (0: none, or no such message, which validate refuses).
Seq threadRootOfTarget(Db& db, const AppendRequest& r) {
  Stmt st = db.prepare("SELECT thread_root FROM events WHERE room_id = ? AND seq = ?");
  return st.bind(r.room_id, r.target).step() ? st.int64(0) : 0;
}

// Membership is checked in the storing transaction (Store contract); the errors are
// MessageService::requireMember's.
Status checkMember(Db& db, const AppendRequest& r) {
  if (db.prepare("SELECT 1 FROM members WHERE room_id = ? AND user_id = ?")
          .bind(r.room_id, r.sender)
          .step()) {
    return {};
  }
  if (db.prepare("SELECT 1 FROM rooms WHERE id = ? AND is_public = 1").bind(r.room_id).step()) {
    return makeError(Code::not_member, "not a member of this room");
  }
  return makeError(Code::not_found, "no such room");
}

}  // namespace

void insertEvent(Db& db, const StoredEvent& e) {
  db.prepare(
        "INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, "
        "target, created_at, key_version, sealed_body, reactions, thread_root, thread, "
        "mentions, mention_flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(e.room_id, e.seq, e.event_id, toString(e.kind), e.sender, e.client_msg_id, e.reply_to,
            e.target, e.created_at, e.key_version, Blob{e.sealed_body}, e.reactions, e.thread_root,
            e.thread, joinIds(e.mentions), mentionFlags(e))
      .run();
}

Result<AppendResult> append(Db& db, const AppendRequest& r) {
  // Worded as MessageService::requireMember words it (noSuchRoom): a missing room and a
  // private one are refused alike.
  if (!db.prepare("SELECT 1 FROM rooms WHERE id = ?").bind(r.room_id).step()) {
    return makeError(Code::not_found, "no such room");
  }
  if (r.kind == EventKind::react || r.kind == EventKind::unreact) {
    if (auto ok = checkMember(db, r); !ok) return ok.error();
    return changeReaction(db, r, &nextSeq);
  }
  if (r.kind == EventKind::pin || r.kind == EventKind::unpin) {
    if (auto ok = checkMember(db, r); !ok) return ok.error();
    return changePin(db, r, &nextSeq);
  }
  if (r.kind == EventKind::message) {
    // Before the retry lookup.
    if (auto ok = checkMember(db, r); !ok) return ok.error();
    if (auto original = byClientMsgId(db, r)) {
      return AppendResult{.event = std::move(*original), .duplicate = true};
    }
  }
  Seq root = 0;  // message: the thread it replies in; delete: the target's thread
  if (r.kind == EventKind::message && r.thread_root != 0) {
    if (!r.file_ids.empty()) return makeError(Code::bad_request, "a thread reply carries no files");
    auto named = threadRootOf(db, r.room_id, r.thread_root);
    if (!named) return named.error();
    root = *named;
  } else if (r.kind == EventKind::del) {
    root = threadRootOfTarget(db, r);
  }
  Mentions mentions;
  if (r.kind == EventKind::message || r.kind == EventKind::edit) mentions = resolveMentions(db, r);
  if (auto ok = validate(db, r, mentions); !ok) return ok.error();
  StoredEvent e = storedEventOf(r, nextSeq(db, r.room_id));
  e.mentions = std::move(mentions.ids);
  setMentionFlags(e, mentions.flags);
  // A refused attachment returns an error: the writer rolls the whole job back.
  if (r.kind == EventKind::message && !r.file_ids.empty()) {
    if (auto ok = attachFiles(db, r.room_id, r.sender, r.file_ids, e.seq); !ok) return ok.error();
  }
  if (r.kind == EventKind::message) e.thread_root = root;
  insertEvent(db, e);
  if (root != 0 && r.kind == EventKind::message) afterThreadReply(db, e);
  if (root != 0 && r.kind == EventKind::del) afterThreadDelete(db, e, root);
  return AppendResult{.event = std::move(e), .duplicate = false};
}

Result<StoredEvent> eventAt(Db& db, RoomId room, Seq seq) {
  Stmt st = db.prepare(eventSelect("WHERE room_id = ? AND seq = ?"));
  if (!st.bind(room, seq).step()) return makeError(Code::not_found, "event not found");
  return readEvent(st);
}

Result<std::vector<StoredEvent>> events(Db& db, const EventQuery& q) {
  constexpr const char* kRange =
      "WHERE room_id = ? AND seq > ? AND seq < ? AND (? = 0 OR kind = 'message') "
      "AND (? = 0 OR thread_root = ?) ";
  // One thread's rows are read through events_by_thread, whose condition the query must
  // state to use it.
  const bool one_thread = q.thread.value_or(0) != 0;
  Stmt st = db.prepare(eventSelect(kRange) + (one_thread ? "AND thread_root <> 0 " : "") +
                       (q.newest_first ? "ORDER BY seq DESC LIMIT ?" : "ORDER BY seq LIMIT ?"));
  st.bind(q.room_id, q.after, q.before, q.messages_only, q.thread.has_value(), q.thread.value_or(0),
          std::max(q.limit, 0));
  std::vector<StoredEvent> out;
  while (st.step()) out.push_back(readEvent(st));
  if (q.newest_first) std::reverse(out.begin(), out.end());
  return out;
}

std::optional<StoredEvent> newestMessage(Db& db, RoomId room) {
  Stmt st =
      db.prepare(eventSelect("WHERE room_id = ? AND kind = 'message' AND thread_root = 0 "
                             "ORDER BY seq DESC LIMIT 1"));
  if (!st.bind(room).step()) return std::nullopt;
  return readEvent(st);
}

UnreadCounts unreadCounts(Db& db, RoomId room, UserId user, Seq last_read) {
  // One scan: the mention count is the unread rows whose flags or id list name me.
  Stmt st = db.prepare(
      "SELECT count(*), coalesce(sum(mention_flags <> 0 OR "
      "instr(',' || mentions || ',', ',' || ? || ',') > 0), 0) FROM events "
      "WHERE room_id = ? AND seq > ? AND kind = 'message' "
      "AND thread_root = 0 AND deleted = 0 AND sender != ?");
  st.bind(std::to_string(user), room, last_read, user).step();
  return UnreadCounts{st.int64(0), st.int64(1)};
}

}  // namespace parley::sqlite::ops
