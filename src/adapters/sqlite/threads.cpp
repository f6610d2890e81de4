// Threads: the root a reply names, the summary the Store keeps on the root row
// (events.thread) and on each event that changed it, and who follows which thread
// (thread_follows, with a marker per follower).
#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

constexpr const char* kLiveReplies =
    "FROM events WHERE room_id = ? AND thread_root = ? AND kind = 'message' AND deleted = 0";

// Stores `summary` on the root row and on the event that changed it.
void storeSummary(Db& db, RoomId room, Seq root, Seq event, const std::string& summary) {
  db.prepare("UPDATE events SET thread = ? WHERE room_id = ? AND seq IN (?, ?)")
      .bind(summary, room, root, event)
      .run();
}

}  // namespace

std::string threadSummary(Db& db, RoomId room, Seq root) {
  ThreadSummary t;
  {
    Stmt st =
        db.prepare(std::string("SELECT count(*), coalesce(max(created_at), 0) ") + kLiveReplies);
    st.bind(room, root).step();
    t.reply_count = st.int64(0);
    t.last_reply_at = st.int64(1);
  }
  Stmt st = db.prepare(std::string("SELECT sender ") + kLiveReplies +
                       " GROUP BY sender ORDER BY min(seq) LIMIT ?");
  st.bind(room, root, kThreadParticipantsShown);
  while (st.step()) t.participants.push_back(st.int64(0));
  return threadJson(t);
}

Result<Seq> threadRootOf(Db& db, RoomId room, Seq named) {
  Stmt st = db.prepare(
      "SELECT thread_root FROM events "
      "WHERE room_id = ? AND seq = ? AND kind = 'message' AND deleted = 0");
  if (!st.bind(room, named).step()) return makeError(Code::not_found, "no such thread root");
  const Seq root = st.int64(0);
  if (root == 0) return named;
  // A reply stands for its root, which must itself be live.
  Stmt live = db.prepare(
      "SELECT 1 FROM events WHERE room_id = ? AND seq = ? AND kind = 'message' AND deleted = 0 "
      "AND thread_root = 0");
  if (!live.bind(room, root).step()) return makeError(Code::not_found, "no such thread root");
  return root;
}

void afterThreadReply(Db& db, StoredEvent& reply) {
  reply.thread = threadSummary(db, reply.room_id, reply.thread_root);
  storeSummary(db, reply.room_id, reply.thread_root, reply.seq, reply.thread);
  // The replier follows (again, if they had stopped), read up to their own reply; the
  // root's sender follows unless they chose not to.
  db.prepare(
        "INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, "
        "created_at) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT DO UPDATE SET following = 1, "
        "last_read_seq = max(last_read_seq, excluded.last_read_seq)")
      .bind(reply.room_id, reply.thread_root, reply.sender, reply.seq, reply.created_at)
      .run();
  db.prepare(
        "INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, "
        "created_at) SELECT room_id, seq, sender, 1, 0, ? FROM events "
        "WHERE room_id = ? AND seq = ? ON CONFLICT DO NOTHING")
      .bind(reply.created_at, reply.room_id, reply.thread_root)
      .run();
}

void afterThreadDelete(Db& db, StoredEvent& del, Seq root) {
  del.thread_root = root;
  del.thread = threadSummary(db, del.room_id, root);
  storeSummary(db, del.room_id, root, del.seq, del.thread);
  db.prepare("UPDATE events SET thread_root = ? WHERE room_id = ? AND seq = ?")
      .bind(root, del.room_id, del.seq)
      .run();
}

Status setThreadFollow(Db& db, RoomId room, Seq root, UserId user, bool follow, Millis now) {
  if (!db.prepare("SELECT 1 FROM events WHERE room_id = ? AND seq = ? AND kind = 'message' "
                  "AND thread_root = 0")
           .bind(room, root)
           .step()) {
    return makeError(Code::not_found, "no such thread root");
  }
  db.prepare(
        "INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, "
        "created_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO UPDATE SET "
        "following = excluded.following")
      .bind(room, root, user, follow, now)
      .run();
  return {};
}

Result<Seq> markThreadRead(Db& db, RoomId room, Seq root, UserId user, Seq seq) {
  Stmt st = db.prepare(
      "UPDATE thread_follows SET last_read_seq = max(last_read_seq, ?) "
      "WHERE room_id = ? AND root_seq = ? AND user_id = ? RETURNING last_read_seq");
  if (!st.bind(seq, room, root, user).step()) return Seq{0};
  return st.int64(0);
}

Result<std::vector<FollowedThread>> followedThreads(Db& db, UserId user, int limit) {
  // Newest reply first (threads without a live reply last).
  const std::string sql =
      std::string("SELECT ") + kEventColumns +
      ", last_read_seq FROM (SELECT e.*, f.last_read_seq, (SELECT max(x.seq) FROM events x "
      "WHERE x.room_id = f.room_id AND x.thread_root = f.root_seq AND x.kind = 'message') AS "
      "newest FROM thread_follows f JOIN members m ON m.room_id = f.room_id AND m.user_id = "
      "f.user_id JOIN events e ON e.room_id = f.room_id AND e.seq = f.root_seq "
      "WHERE f.user_id = ? AND f.following = 1) ORDER BY newest DESC NULLS LAST, room_id, seq "
      "LIMIT ?";
  std::vector<FollowedThread> out;
  {
    Stmt st = db.prepare(sql);
    st.bind(user, limit);
    while (st.step()) {
      FollowedThread t;
      t.root = readEvent(st);
      t.last_read_seq = st.int64(kEventColumnCount);
      out.push_back(std::move(t));
    }
  }
  for (FollowedThread& t : out) {
    Stmt st =
        db.prepare(std::string("SELECT count(*) ") + kLiveReplies + " AND seq > ? AND sender <> ?");
    st.bind(t.root.room_id, t.root.seq, t.last_read_seq, user).step();
    t.unread = st.int64(0);
  }
  return out;
}

}  // namespace parley::sqlite::ops
