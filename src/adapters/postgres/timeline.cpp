#include <algorithm>

#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

// An append is one pipeline: facts for the error report, then ONE write statement that
// re-checks everything itself and takes the seq from the room row (invariant 2):
// `UPDATE rooms ... RETURNING last_seq` locks the row, so concurrent senders on every
// node queue there and each sees the previous one's seq. The facts are only read to
// explain a write that did nothing (its own checks failed).

// A message's facts: the room exists, reply_to names a message, the sender is a member,
// the room is public (which error a non-member gets).
constexpr const char* kMessageFacts = R"sql(
SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1),
       $2 = 0 OR EXISTS (SELECT 1 FROM events WHERE room_id = $1 AND seq = $2 AND kind = 'message'),
       EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $3),
       coalesce((SELECT is_public FROM rooms WHERE id = $1), false))sql";

// Invariant 3: a retried send finds its original here.
constexpr const char* kOriginal = R"sql(
SELECT e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, e.target,
       e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions,
       e.thread_root, e.thread, e.mentions, e.mention_flags
FROM events e WHERE room_id = $1 AND sender = $2 AND client_msg_id = $3 AND kind = 'message')sql";

// A concurrent identical send that commits while this one waits for the room row is not
// seen by NOT EXISTS (same snapshot): the INSERT then fails on events_idempotency, the
// whole pipeline rolls back (seq increment included) and the caller retries.
// Membership is checked here, in the storing statement (no separate read before the
// append): a non-member's message takes no seq and stores nothing. Mentions ($9: the
// names, joined by ','; $10: the flags) resolve to the room's members in the same
// statement, so a name that is no member's when it commits is no mention.
constexpr const char* kInsertMessage = R"sql(
WITH mu AS (
  SELECT coalesce(string_agg(u.id::text, ',' ORDER BY u.id), '') AS ids,
    CASE WHEN EXISTS (SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id
                      WHERE rr.id = $1 AND rr.kind = 'group' AND rr.room_mentions = 'admins'
                        AND mm.user_id = $2 AND mm.role = 'member')
         THEN 0 ELSE $10 END AS flags
  FROM users u JOIN members mb ON mb.room_id = $1 AND mb.user_id = u.id
  WHERE u.username_lower = ANY(string_to_array($9, ','))),
s AS (
  UPDATE rooms SET last_seq = last_seq + 1
  WHERE id = $1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2)
    AND NOT EXISTS (SELECT 1 FROM events
                    WHERE room_id = $1 AND sender = $2 AND client_msg_id = $3 AND kind = 'message')
    AND ($4 = 0 OR EXISTS (SELECT 1 FROM events
                           WHERE room_id = $1 AND seq = $4 AND kind = 'message'))
  RETURNING last_seq)
INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                   created_at, key_version, sealed_body, mentions, mention_flags)
SELECT $1, s.last_seq, $5, 'message', $2, $3, $4, 0, $6, $7, $8, mu.ids, mu.flags FROM s, mu
RETURNING seq, mentions, mention_flags)sql";

// A message that attaches files (ids joined by ','; an id never holds one) first locks
// those files' rows, in id order, as its own statement: a concurrent send naming the same
// file waits there until this one commits, and its later statements (new snapshots under
// READ COMMITTED) then see the file attached. Deletes lock attached files only, and a send
// waits for the room row only when all its files are unattached, so the two never wait on
// each other in a cycle.
constexpr const char* kLockFiles = R"sql(
SELECT id FROM attachments WHERE id = ANY(string_to_array($1, ',')) ORDER BY id FOR UPDATE)sql";

constexpr const char* kMessageFilesFacts = R"sql(
SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1),
       $2 = 0 OR EXISTS (SELECT 1 FROM events WHERE room_id = $1 AND seq = $2 AND kind = 'message'),
       EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $4),
       coalesce((SELECT is_public FROM rooms WHERE id = $1), false),
       (SELECT count(*) FROM attachments
        WHERE id = ANY(string_to_array($3, ',')) AND room_id = $1 AND uploader = $4
          AND message_seq IS NULL) = cardinality(string_to_array($3, ',')))sql";

// kInsertMessage, taking a seq only if every named file is an unattached upload of the
// sender in this room, and attaching them to it (mentions: $10 and $11).
constexpr const char* kInsertMessageWithFiles = R"sql(
WITH mu AS (
  SELECT coalesce(string_agg(u.id::text, ',' ORDER BY u.id), '') AS ids,
    CASE WHEN EXISTS (SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id
                      WHERE rr.id = $1 AND rr.kind = 'group' AND rr.room_mentions = 'admins'
                        AND mm.user_id = $2 AND mm.role = 'member')
         THEN 0 ELSE $11 END AS flags
  FROM users u JOIN members mb ON mb.room_id = $1 AND mb.user_id = u.id
  WHERE u.username_lower = ANY(string_to_array($10, ','))),
s AS (
  UPDATE rooms SET last_seq = last_seq + 1
  WHERE id = $1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2)
    AND NOT EXISTS (SELECT 1 FROM events
                    WHERE room_id = $1 AND sender = $2 AND client_msg_id = $3 AND kind = 'message')
    AND ($4 = 0 OR EXISTS (SELECT 1 FROM events
                           WHERE room_id = $1 AND seq = $4 AND kind = 'message'))
    AND (SELECT count(*) FROM attachments
         WHERE id = ANY(string_to_array($9, ',')) AND room_id = $1 AND uploader = $2
           AND message_seq IS NULL) = cardinality(string_to_array($9, ','))
  RETURNING last_seq),
a AS (
  UPDATE attachments SET message_seq = s.last_seq FROM s
  WHERE id = ANY(string_to_array($9, ',')))
INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                   created_at, key_version, sealed_body, mentions, mention_flags)
SELECT $1, s.last_seq, $5, 'message', $2, $3, $4, 0, $6, $7, $8, mu.ids, mu.flags FROM s, mu
RETURNING seq, mentions, mention_flags)sql";

// The target's sender, NULL unless it is a live message.
constexpr const char* kChangeFacts = R"sql(
SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1),
       (SELECT sender FROM events
        WHERE room_id = $1 AND seq = $2 AND kind = 'message' AND NOT deleted))sql";

// Edits and deletes change the target row first (locking it), and take a seq only if
// they did. An edit's mentions ($9, $10, as kInsertMessage's) replace the target's.
constexpr const char* kInsertEdit = R"sql(
WITH mu AS (
  SELECT coalesce(string_agg(u.id::text, ',' ORDER BY u.id), '') AS ids,
    CASE WHEN EXISTS (SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id
                      WHERE rr.id = $1 AND rr.kind = 'group' AND rr.room_mentions = 'admins'
                        AND mm.user_id = $2 AND mm.role = 'member')
         THEN 0 ELSE $10 END AS flags
  FROM users u JOIN members mb ON mb.room_id = $1 AND mb.user_id = u.id
  WHERE u.username_lower = ANY(string_to_array($9, ','))),
t AS (
  UPDATE events SET sealed_body = $6, key_version = $5, edited_at = $4,
    mentions = (SELECT ids FROM mu), mention_flags = (SELECT flags FROM mu)
  WHERE room_id = $1 AND seq = $3 AND kind = 'message' AND NOT deleted AND sender = $2
  RETURNING 1),
s AS (
  UPDATE rooms SET last_seq = last_seq + 1
  WHERE id = $1 AND EXISTS (SELECT 1 FROM t) RETURNING last_seq)
INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                   created_at, key_version, sealed_body, mentions, mention_flags)
SELECT $1, s.last_seq, $7, 'edit', $2, '', 0, $3, $4, $5, $8, mu.ids, mu.flags FROM s, mu
RETURNING seq, mentions, mention_flags)sql";

// A delete also drops the rows of the target's files (their blobs go afterwards), its
// reactions and its mentions.
constexpr const char* kInsertDelete = R"sql(
WITH t AS (
  UPDATE events SET sealed_body = ''::bytea, deleted = true, reactions = '', mentions = '',
    mention_flags = 0
  WHERE room_id = $1 AND seq = $3 AND kind = 'message' AND NOT deleted AND sender = $2
  RETURNING 1),
x AS (
  DELETE FROM reactions WHERE room_id = $1 AND seq = $3 AND EXISTS (SELECT 1 FROM t)),
p AS (
  DELETE FROM pins WHERE room_id = $1 AND seq = $3 AND EXISTS (SELECT 1 FROM t)),
f AS (
  DELETE FROM attachments
  WHERE room_id = $1 AND message_seq = $3 AND EXISTS (SELECT 1 FROM t)),
s AS (
  UPDATE rooms SET last_seq = last_seq + 1
  WHERE id = $1 AND EXISTS (SELECT 1 FROM t) RETURNING last_seq)
INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                   created_at, key_version, sealed_body)
SELECT $1, s.last_seq, $5, 'delete', $2, '', 0, $3, $4, $6, ''::bytea FROM s
RETURNING seq)sql";

// Bounds the retries after losing a race (see kInsertMessage); each retry reads the
// winner's committed row, so one is almost always enough.
constexpr int kAttempts = 4;

std::string joinedIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::int64_t flags(const AppendRequest& r) {
  return (r.mention_room ? kMentionRoomFlag : 0) | (r.mention_here ? kMentionHereFlag : 0);
}

std::vector<Statement> messageWithFilesPipeline(const AppendRequest& r) {
  const std::string ids = joinedIds(r.file_ids);
  std::vector<Statement> s;
  s.push_back({kLockFiles, Params(ids)});
  s.push_back({kMessageFilesFacts, Params(r.room_id, r.reply_to, ids, r.sender)});
  s.push_back({kOriginal, Params(r.room_id, r.sender, r.client_msg_id)});
  s.push_back({kInsertMessageWithFiles,
               Params(r.room_id, r.sender, r.client_msg_id, r.reply_to, r.event_id, r.now,
                      r.key_version, Bytes{r.sealed_body}, ids, mentionNames(r), flags(r))});
  return s;
}

std::vector<Statement> messagePipeline(const AppendRequest& r) {
  if (!r.file_ids.empty()) return messageWithFilesPipeline(r);
  std::vector<Statement> s;
  s.push_back({kMessageFacts, Params(r.room_id, r.reply_to, r.sender)});
  s.push_back({kOriginal, Params(r.room_id, r.sender, r.client_msg_id)});
  s.push_back(
      {kInsertMessage, Params(r.room_id, r.sender, r.client_msg_id, r.reply_to, r.event_id, r.now,
                              r.key_version, Bytes{r.sealed_body}, mentionNames(r), flags(r))});
  return s;
}

// A delete locks its target's root first and updates the thread last (ops/threads.cpp).
std::vector<Statement> changePipeline(const AppendRequest& r) {
  std::vector<Statement> s;
  if (r.kind == EventKind::del) s.push_back(lockRootOfTarget(r));
  s.push_back({kChangeFacts, Params(r.room_id, r.target)});
  if (r.kind == EventKind::edit) {
    s.push_back({kInsertEdit, Params(r.room_id, r.sender, r.target, r.now, r.key_version,
                                     Bytes{r.target_sealed_body}, r.event_id, Bytes{r.sealed_body},
                                     mentionNames(r), flags(r))});
  } else {
    s.push_back(
        {kInsertDelete, Params(r.room_id, r.sender, r.target, r.now, r.event_id, r.key_version)});
    s.push_back(afterDelete(r));
  }
  return s;
}

// Where the facts and the write statement are in a pipeline (see the pipelines above).
std::size_t factsAt(const AppendRequest& r) {
  const bool with_files = r.kind == EventKind::message && !r.file_ids.empty();
  return with_files || r.kind == EventKind::del ? 1 : 0;
}
std::size_t writeAt(const AppendRequest& r, std::size_t statements) {
  return r.kind == EventKind::del ? statements - 2 : statements - 1;
}

// Why a write did nothing, from the facts; nullopt when the facts say it should have
// worked (a concurrent change slipped between the statements: try again).
std::optional<Result<AppendResult>> explain(const AppendRequest& r,
                                            const std::vector<PgResult>& res) {
  const bool with_files = r.kind == EventKind::message && !r.file_ids.empty();
  const std::size_t first = factsAt(r);
  const PgResult& facts = res[first];
  if (r.kind == EventKind::message) {
    // As MessageService::requireMember words it: a private room is not revealed.
    if (!facts.boolean(0, 0)) return makeError(Code::not_found, "no such room");
    if (!facts.boolean(0, 2)) {
      if (facts.boolean(0, 3)) return makeError(Code::not_member, "not a member of this room");
      return makeError(Code::not_found, "no such room");
    }
    const PgResult& original = res[first + 1];
    if (original.rows() > 0) {
      return AppendResult{.event = readEvent(original, 0), .duplicate = true};
    }
    if (!facts.boolean(0, 1)) {
      return makeError(Code::bad_request, "reply_to does not name a message of this room");
    }
    if (with_files && !facts.boolean(0, 4)) {
      return makeError(Code::invalid_file, "not an unattached upload of yours in this room");
    }
    return std::nullopt;
  }
  if (!facts.boolean(0, 0)) return makeError(Code::not_found, "no such room");
  if (facts.isNull(0, 1)) return makeError(Code::not_found, "no live message at the target seq");
  if (facts.int64(0, 1) != r.sender) {
    return makeError(Code::forbidden, "only its sender may change a message");
  }
  return std::nullopt;
}

}  // namespace

void readMentions(const PgResult& written, StoredEvent& e) {
  e.mentions = splitIds(written.text(0, 1));
  setMentionFlags(e, written.int64(0, 2));
}

std::string mentionNames(const AppendRequest& r) {
  std::vector<std::string> keys;
  for (const auto& name : r.mention_names) {
    if (keys.size() == kMaxMentionNames) break;
    if (name.empty() || name.find(',') != std::string::npos) continue;
    keys.push_back(usernameKey(name));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return joinedIds(keys);
}

Task<Result<AppendResult>> append(PgConn& c, const AppendRequest& r) {
  if (r.kind == EventKind::react || r.kind == EventKind::unreact) {
    co_return co_await changeReaction(c, r);
  }
  if (r.kind == EventKind::pin || r.kind == EventKind::unpin) co_return co_await changePin(c, r);
  if (r.kind == EventKind::message && r.client_msg_id.empty()) {
    co_return makeError(Code::bad_request, "a message needs a client_msg_id");
  }
  if (r.kind == EventKind::message && r.thread_root != 0) {
    if (!r.file_ids.empty()) {
      co_return makeError(Code::bad_request, "a thread reply carries no files");
    }
    co_return co_await appendReply(c, r);
  }
  for (const auto& id : r.file_ids) {
    // Ids travel joined by ','; none that was ever issued is empty or holds one.
    if (id.empty() || id.find(',') != std::string::npos) {
      co_return makeError(Code::invalid_file, "not an unattached upload of yours in this room");
    }
  }
  const std::vector<Statement> statements =
      r.kind == EventKind::message ? messagePipeline(r) : changePipeline(r);
  for (int attempt = 1;; ++attempt) {
    auto res = co_await c.pipeline(statements);
    if (!res) {
      // Lost the idempotency race to an identical send: the retry returns the winner.
      if (res.error().code == Code::conflict && attempt < kAttempts) continue;
      co_return res.error();
    }
    const PgResult& written = (*res)[writeAt(r, res->size())];
    if (written.rows() == 1) {
      StoredEvent e = storedEventOf(r, written.int64(0, 0));
      if (r.kind != EventKind::del) readMentions(written, e);
      if (r.kind == EventKind::del) applyAfterDelete(res->back(), e);
      co_return AppendResult{.event = std::move(e)};
    }
    if (auto outcome = explain(r, *res)) co_return std::move(*outcome);
    if (attempt == kAttempts) {
      co_return makeError(Code::unavailable, "postgres: append kept racing; retry");
    }
  }
}

Task<Result<std::vector<std::optional<Written>>>> appendMessages(
    PgConn& c, const std::vector<const AppendRequest*>& batch) {
  std::vector<Statement> statements;
  statements.reserve(batch.size());
  for (const AppendRequest* r : batch) {
    statements.push_back(
        {kInsertMessage,
         Params(r->room_id, r->sender, r->client_msg_id, r->reply_to, r->event_id, r->now,
                r->key_version, Bytes{r->sealed_body}, mentionNames(*r), flags(*r))});
  }
  auto res = co_await c.pipeline(statements);
  if (!res) co_return res.error();
  std::vector<std::optional<Written>> out;
  out.reserve(batch.size());
  for (const PgResult& written : *res) {
    if (written.rows() == 1) {
      out.push_back(
          Written{written.int64(0, 0), splitIds(written.text(0, 1)), written.int64(0, 2)});
    } else {
      out.push_back(std::nullopt);
    }
  }
  co_return out;
}

Task<Result<StoredEvent>> eventAt(PgConn& c, RoomId room, Seq seq) {
  static const std::string sql =
      std::string("SELECT ") + kEventColumns + " FROM events e WHERE room_id = $1 AND seq = $2";
  const Params p(room, seq);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "event not found");
  co_return readEvent(*r, 0);
}

Task<Result<std::vector<StoredEvent>>> events(PgConn& c, const EventQuery& q) {
  static const std::string range =
      std::string("SELECT ") + kEventColumns +
      " FROM events e WHERE room_id = $1 AND seq > $2 AND seq < $3 AND (NOT $4 OR kind = "
      "'message') AND (NOT $6 OR thread_root = $7) ";
  // One thread's rows are read through events_by_thread, whose condition the query must
  // state to use it.
  static const std::string thread = range + "AND thread_root <> 0 ";
  static const std::string oldest = range + "ORDER BY seq LIMIT $5";
  static const std::string newest = range + "ORDER BY seq DESC LIMIT $5";
  static const std::string thread_oldest = thread + "ORDER BY seq LIMIT $5";
  static const std::string thread_newest = thread + "ORDER BY seq DESC LIMIT $5";
  const Params p(q.room_id, q.after, q.before, q.messages_only, std::max(q.limit, 0),
                 q.thread.has_value(), q.thread.value_or(0));
  const bool one_thread = q.thread.value_or(0) != 0;
  const char* sql = one_thread ? (q.newest_first ? thread_newest.c_str() : thread_oldest.c_str())
                               : (q.newest_first ? newest.c_str() : oldest.c_str());
  auto r = co_await c.query(sql, p);
  if (!r) co_return r.error();
  std::vector<StoredEvent> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readEvent(*r, i));
  if (q.newest_first) std::reverse(out.begin(), out.end());
  co_return out;
}

}  // namespace parley::postgres::ops
