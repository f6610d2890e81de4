// Threads: Store::append of a message with thread_root (its own pipeline, never batched by
// the Appender), the statements a delete of a reply adds, and the follows.
//
// Lock order, as every timeline write keeps it: the root's row, then the message rows the
// write changes, then the room row (the seq). A reply locks its root first, so two replies
// to one root, or a reply and a delete of a reply in the same thread, queue at the root;
// a reply and a delete of its root too (the reply then sees the root deleted).
#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

// The root a reply naming $named goes to: the named live message if it is on the main
// timeline, else its live root.
#define PARLEY_ROOT_OF(named)                                                    \
  "SELECT x.seq FROM events n JOIN events x ON x.room_id = n.room_id"            \
  "  AND x.seq = CASE WHEN n.thread_root = 0 THEN n.seq ELSE n.thread_root END " \
  "WHERE n.room_id = $1 AND n.seq = " named                                      \
  " AND n.kind = 'message' AND NOT n.deleted"                                    \
  "  AND x.kind = 'message' AND NOT x.deleted AND x.thread_root = 0"

constexpr const char* kLockRoot =
    "SELECT 1 FROM events WHERE room_id = $1 AND seq = (" PARLEY_ROOT_OF(
        "$2") ") AND EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $3) "
              "FOR UPDATE";

constexpr const char* kReplyFacts =
    "SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1),"
    " $2 = 0 OR EXISTS (SELECT 1 FROM events WHERE room_id = $1 AND seq = $2 AND kind = "
    "'message'),"
    " EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $3),"
    " coalesce((SELECT is_public FROM rooms WHERE id = $1), false),"
    " EXISTS (" PARLEY_ROOT_OF("$4") ")";

constexpr const char* kOriginal =
    "SELECT e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, "
    "e.target, e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions, "
    "e.thread_root, e.thread, e.mentions, e.mention_flags FROM events e "
    "WHERE room_id = $1 AND sender = $2 AND client_msg_id = $3 AND kind = 'message'";

// kInsertMessage (timeline.cpp) with the root checked in the same statement (mentions:
// $10 and $11).
constexpr const char* kInsertReply =
    "WITH mu AS ("
    "  SELECT coalesce(string_agg(u.id::text, ',' ORDER BY u.id), '') AS ids,"
    "    CASE WHEN EXISTS (SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id"
    "      WHERE rr.id = $1 AND rr.kind = 'group' AND rr.room_mentions = 'admins'"
    "        AND mm.user_id = $2 AND mm.role = 'member') THEN 0 ELSE $11 END AS flags"
    "  FROM users u JOIN members mb ON mb.room_id = $1 AND mb.user_id = u.id"
    "  WHERE u.username_lower = ANY(string_to_array($10, ','))),"
    "r AS (" PARLEY_ROOT_OF(
        "$9") "),"
              "s AS ("
              "  UPDATE rooms SET last_seq = last_seq + 1"
              "  WHERE id = $1"
              "    AND EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2)"
              "    AND NOT EXISTS (SELECT 1 FROM events WHERE room_id = $1 AND sender = $2"
              "                    AND client_msg_id = $3 AND kind = 'message')"
              "    AND ($4 = 0 OR EXISTS (SELECT 1 FROM events"
              "                           WHERE room_id = $1 AND seq = $4 AND kind = 'message'))"
              "    AND EXISTS (SELECT 1 FROM r)"
              "  RETURNING last_seq) "
              "INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, "
              "  target, created_at, key_version, sealed_body, thread_root, mentions, "
              "  mention_flags) "
              "SELECT $1, s.last_seq, $5, 'message', $2, $3, $4, 0, $6, $7, $8, r.seq, mu.ids, "
              "  mu.flags FROM s, r, mu "
              "RETURNING seq, mentions, mention_flags";

#undef PARLEY_ROOT_OF

// After a reply (found by its event id; nothing when it was not stored): the root's new
// summary on both rows, the replier following (marker at the reply), the root's sender
// following unless they chose not to.
constexpr const char* kAfterReply = R"sql(
WITH n AS (
  SELECT seq, thread_root AS root FROM events
  WHERE room_id = $1 AND event_id = $2 AND thread_root <> 0),
a AS (SELECT n.seq, n.root, parley_thread_of($1, n.root) AS summary FROM n),
u AS (
  UPDATE events x SET thread = a.summary FROM a
  WHERE x.room_id = $1 AND x.seq IN (a.seq, a.root)),
f AS (
  INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, created_at)
  SELECT $1, a.root, $3, true, a.seq, $4 FROM a
  ON CONFLICT (room_id, root_seq, user_id) DO UPDATE SET following = true,
    last_read_seq = greatest(thread_follows.last_read_seq, excluded.last_read_seq)),
o AS (
  INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, created_at)
  SELECT $1, a.root, r.sender, true, 0, $4 FROM a
  JOIN events r ON r.room_id = $1 AND r.seq = a.root
  WHERE r.sender <> $3
  ON CONFLICT (room_id, root_seq, user_id) DO NOTHING)
SELECT root, summary FROM a)sql";

// Before a delete: its target's root, if it is a reply.
constexpr const char* kLockRootOfTarget = R"sql(
SELECT 1 FROM events WHERE room_id = $1 AND seq = (
  SELECT thread_root FROM events WHERE room_id = $1 AND seq = $2 AND thread_root <> 0)
FOR UPDATE)sql";

// After a delete (found by its event id) of a reply: the root's new summary on the root and
// on the delete event, which names the root.
constexpr const char* kAfterDelete = R"sql(
WITH d AS (
  SELECT e.seq, t.thread_root AS root FROM events e
  JOIN events t ON t.room_id = e.room_id AND t.seq = e.target
  WHERE e.room_id = $1 AND e.event_id = $2 AND t.thread_root <> 0),
a AS (SELECT d.seq, d.root, parley_thread_of($1, d.root) AS summary FROM d),
u AS (
  UPDATE events x SET thread = a.summary,
    thread_root = CASE WHEN x.seq = a.seq THEN a.root ELSE x.thread_root END
  FROM a WHERE x.room_id = $1 AND x.seq IN (a.seq, a.root))
SELECT root, summary FROM a)sql";

constexpr const char* kFollow = R"sql(
WITH r AS (
  SELECT 1 FROM events WHERE room_id = $1 AND seq = $2 AND kind = 'message' AND thread_root = 0)
INSERT INTO thread_follows(room_id, root_seq, user_id, following, last_read_seq, created_at)
SELECT $1, $2, $3, $4, 0, $5 FROM r
ON CONFLICT (room_id, root_seq, user_id) DO UPDATE SET following = excluded.following
RETURNING 1)sql";

constexpr const char* kMarkRead = R"sql(
UPDATE thread_follows SET last_read_seq = greatest(last_read_seq, $4)
WHERE room_id = $1 AND root_seq = $2 AND user_id = $3 RETURNING last_read_seq)sql";

// Newest reply first (threads without a live reply last); the unread count per thread.
constexpr const char* kFollowed = R"sql(
SELECT f.last_read_seq,
  (SELECT count(*) FROM events x
   WHERE x.room_id = f.room_id AND x.thread_root = f.root_seq AND x.thread_root <> 0
     AND x.kind = 'message' AND NOT x.deleted AND x.seq > f.last_read_seq AND x.sender <> $1),
  e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, e.target,
  e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions,
  e.thread_root, e.thread, e.mentions, e.mention_flags
FROM thread_follows f
JOIN members m ON m.room_id = f.room_id AND m.user_id = f.user_id
JOIN events e ON e.room_id = f.room_id AND e.seq = f.root_seq
WHERE f.user_id = $1 AND f.following
ORDER BY (SELECT max(x.seq) FROM events x
          WHERE x.room_id = f.room_id AND x.thread_root = f.root_seq AND x.thread_root <> 0
            AND x.kind = 'message') DESC NULLS LAST, f.room_id, f.root_seq
LIMIT $2)sql";

// Why a reply was not stored, from the facts; nullopt when they say it should have been (a
// concurrent change slipped between the statements: try again).
std::optional<Result<AppendResult>> explainReply(const std::vector<PgResult>& res) {
  const PgResult& facts = res[1];
  // As MessageService::requireMember words it: a private room is not revealed.
  if (!facts.boolean(0, 0)) return makeError(Code::not_found, "no such room");
  if (!facts.boolean(0, 2)) {
    if (facts.boolean(0, 3)) return makeError(Code::not_member, "not a member of this room");
    return makeError(Code::not_found, "no such room");
  }
  if (res[2].rows() > 0) return AppendResult{.event = readEvent(res[2], 0), .duplicate = true};
  if (!facts.boolean(0, 1)) {
    return makeError(Code::bad_request, "reply_to does not name a message of this room");
  }
  if (!facts.boolean(0, 4)) return makeError(Code::not_found, "no such thread root");
  return std::nullopt;
}

}  // namespace

Task<Result<AppendResult>> appendReply(PgConn& c, const AppendRequest& r) {
  std::vector<Statement> s;
  s.push_back({kLockRoot, Params(r.room_id, r.thread_root, r.sender)});
  s.push_back({kReplyFacts, Params(r.room_id, r.reply_to, r.sender, r.thread_root)});
  s.push_back({kOriginal, Params(r.room_id, r.sender, r.client_msg_id)});
  const std::int64_t flags =
      (r.mention_room ? kMentionRoomFlag : 0) | (r.mention_here ? kMentionHereFlag : 0);
  s.push_back({kInsertReply,
               Params(r.room_id, r.sender, r.client_msg_id, r.reply_to, r.event_id, r.now,
                      r.key_version, Bytes{r.sealed_body}, r.thread_root, mentionNames(r), flags)});
  s.push_back({kAfterReply, Params(r.room_id, r.event_id, r.sender, r.now)});
  constexpr int kAttempts = 4;  // as append's: each retry reads what the winner committed
  for (int attempt = 1;; ++attempt) {
    auto res = co_await c.pipeline(s);
    if (!res) {
      if (res.error().code == Code::conflict && attempt < kAttempts) continue;
      co_return res.error();
    }
    if ((*res)[3].rows() == 1 && (*res)[4].rows() == 1) {
      StoredEvent e = storedEventOf(r, (*res)[3].int64(0, 0));
      readMentions((*res)[3], e);
      e.thread_root = (*res)[4].int64(0, 0);
      e.thread = (*res)[4].text(0, 1);
      co_return AppendResult{.event = std::move(e), .duplicate = false};
    }
    if (auto outcome = explainReply(*res)) co_return std::move(*outcome);
    if (attempt == kAttempts) {
      co_return makeError(Code::unavailable, "postgres: append kept racing; retry");
    }
  }
}

Statement lockRootOfTarget(const AppendRequest& r) {
  return {kLockRootOfTarget, Params(r.room_id, r.target)};
}

Statement afterDelete(const AppendRequest& r) {
  return {kAfterDelete, Params(r.room_id, r.event_id)};
}

void applyAfterDelete(const PgResult& after, StoredEvent& e) {
  if (after.rows() != 1) return;
  e.thread_root = after.int64(0, 0);
  e.thread = after.text(0, 1);
}

Task<Status> setThreadFollow(PgConn& c, RoomId room, Seq root, UserId user, bool follow,
                             Millis now) {
  const Params p(room, root, user, follow, now);
  auto res = co_await c.query(kFollow, p);
  if (!res) co_return res.error();
  if (res->rows() == 0) co_return makeError(Code::not_found, "no such thread root");
  co_return Status{};
}

Task<Result<Seq>> markThreadRead(PgConn& c, RoomId room, Seq root, UserId user, Seq seq) {
  const Params p(room, root, user, seq);
  auto res = co_await c.query(kMarkRead, p);
  if (!res) co_return res.error();
  co_return res->rows() == 0 ? Seq{0} : res->int64(0, 0);
}

Task<Result<std::vector<FollowedThread>>> followedThreads(PgConn& c, UserId user, int limit) {
  const Params p(user, limit);
  auto res = co_await c.query(kFollowed, p);
  if (!res) co_return res.error();
  std::vector<FollowedThread> out;
  for (int i = 0; i < res->rows(); ++i) {
    out.push_back(FollowedThread{.root = readEvent(*res, i, 2),
                                 .last_read_seq = res->int64(i, 0),
                                 .unread = res->int64(i, 1)});
  }
  co_return out;
}

}  // namespace parley::postgres::ops
