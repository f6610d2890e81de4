#include <algorithm>

#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

std::string roomSelect(const char* where) {
  return std::string("SELECT ") + kRoomColumns + " FROM rooms r " + where;
}

Result<Room> oneRoom(Result<PgResult>& r) {
  if (!r) return r.error();
  if (r->rows() == 0) return makeError(Code::not_found, "room not found");
  return readRoom(*r, 0);
}

Result<RoomKeyRecord> oneKey(Result<PgResult>& r) {
  if (!r) return r.error();
  if (r->rows() == 0) return makeError(Code::not_found, "room key not found");
  return RoomKeyRecord{.room_id = r->int64(0, 0),
                       .version = static_cast<std::uint32_t>(r->int64(0, 1)),
                       .wrapped = r->text(0, 2)};
}

// The room and its creator as owner, in one statement (so atomically).
constexpr const char* kCreateRoom = R"sql(
WITH r AS (
  INSERT INTO rooms(kind, name, topic, is_public, created_by, created_at)
  VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),
m AS (
  INSERT INTO members(room_id, user_id, role, joined_at) SELECT id, $5, 'owner', $6 FROM r)
SELECT id FROM r)sql";

// Creates the pair's room and both members unless the direct_key exists. A concurrent
// insert of the same key makes this wait for that transaction and then do nothing.
constexpr const char* kInsertDirect = R"sql(
WITH r AS (
  INSERT INTO rooms(kind, name, topic, is_public, created_by, created_at, direct_key)
  VALUES ('direct', '', '', false, $1, $3, $4)
  ON CONFLICT (direct_key) DO NOTHING RETURNING id)
INSERT INTO members(room_id, user_id, role, joined_at)
SELECT r.id, u.id, 'member', $3 FROM r, (VALUES ($1), ($2)) AS u(id))sql";

constexpr const char* kRoomsOf = R"sql(
SELECT r.id, r.kind, r.name, r.topic, r.is_public, r.last_seq, r.created_by, r.created_at,
  r.room_mentions, r.pins, r.archived, r.post,
  m.room_id, m.user_id, u.username, m.role, m.last_read_seq, m.joined_at, m.notify, m.muted,
  n.unread, n.mentions,
  e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, e.target,
  e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions,
  e.thread_root, e.thread, e.mentions, e.mention_flags
FROM members m
JOIN rooms r ON r.id = m.room_id
JOIN users u ON u.id = m.user_id
CROSS JOIN LATERAL (
  SELECT count(*) AS unread,
    count(*) FILTER (WHERE x.mention_flags <> 0
      OR strpos(',' || x.mentions || ',', ',' || m.user_id::text || ',') > 0) AS mentions
  FROM events x
  WHERE x.room_id = r.id AND x.seq > m.last_read_seq AND x.kind = 'message'
    AND x.thread_root = 0 AND NOT x.deleted AND x.sender <> m.user_id) n
LEFT JOIN LATERAL (
  SELECT * FROM events WHERE room_id = r.id AND kind = 'message' AND thread_root = 0
  ORDER BY seq DESC LIMIT 1) e
  ON true
WHERE m.user_id = $1
ORDER BY r.id)sql";

}  // namespace

Task<Result<Room>> createRoom(PgConn& c, const NewRoom& nr) {
  const Params p(toString(nr.kind), nr.name, nr.topic, nr.is_public, nr.created_by, nr.now);
  auto r = co_await c.query(kCreateRoom, p);
  if (!r) {
    if (r.error().code == Code::not_found) co_return makeError(Code::not_found, "user not found");
    co_return r.error();
  }
  co_return Room{.id = r->int64(0, 0),
                 .kind = nr.kind,
                 .name = nr.name,
                 .topic = nr.topic,
                 .is_public = nr.is_public,
                 .last_seq = 0,
                 .created_by = nr.created_by,
                 .created_at = nr.now};
}

// Pipelined: the conditional insert and the read-back travel in one round trip and run in
// one transaction; the read-back, a later statement, sees whichever insert won.
Task<Result<Room>> directRoom(PgConn& c, UserId a, UserId b, Millis now) {
  if (a == b) co_return makeError(Code::bad_request, "a direct room needs two different users");
  static const std::string select = roomSelect("WHERE r.direct_key = $1");
  const std::string key = std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
  std::vector<Statement> statements;
  statements.push_back({kInsertDirect, Params(a, b, now, key)});
  statements.push_back({select.c_str(), Params(key)});
  auto r = co_await c.pipeline(statements);
  if (!r) {
    if (r.error().code == Code::not_found) co_return makeError(Code::not_found, "user not found");
    co_return r.error();
  }
  const PgResult& room = (*r)[1];
  if (room.rows() == 0) co_return makeError(Code::internal, "postgres: direct room vanished");
  co_return readRoom(room, 0);
}

Task<Result<Room>> roomById(PgConn& c, RoomId id) {
  static const std::string sql = roomSelect("WHERE r.id = $1 AND r.deleted_at IS NULL");
  const Params p(id);
  auto r = co_await c.query(sql.c_str(), p);
  co_return oneRoom(r);
}

Task<Result<std::vector<Room>>> publicRooms(PgConn& c, int limit) {
  static const std::string sql = roomSelect("WHERE r.is_public ORDER BY r.id LIMIT $1");
  const Params p(std::max(limit, 0));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Room> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readRoom(*r, i));
  co_return out;
}

// The owner and the last event are read by the primary keys of members and events, so a
// page costs a few index lookups per room, never a scan of a timeline.
Task<Result<std::vector<RoomListing>>> searchRooms(PgConn& c, const std::string& prefix,
                                                   RoomId after, int limit) {
  static const std::string sql =
      std::string("SELECT ") + kRoomColumns +
      ", r.member_count, COALESCE(o.id, 0), COALESCE(o.username, ''), "
      "COALESCE((SELECT e.created_at FROM events e WHERE e.room_id = r.id "
      "ORDER BY e.seq DESC LIMIT 1), 0) "
      "FROM rooms r LEFT JOIN users o ON o.id = (SELECT m.user_id FROM members m "
      "WHERE m.room_id = r.id AND m.role = 'owner' ORDER BY m.user_id LIMIT 1) "
      "WHERE r.deleted_at IS NULL AND r.name ILIKE $1 ESCAPE '\\' AND r.id > $2 "
      "ORDER BY r.id LIMIT $3";
  const Params p(likePrefix(prefix), after, static_cast<std::int64_t>(std::max(limit, 0)));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<RoomListing> out;
  constexpr int k = kRoomColumnCount;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(RoomListing{.room = readRoom(*r, i),
                              .member_count = r->int64(i, k),
                              .owner_id = r->int64(i, k + 1),
                              .owner = r->text(i, k + 2),
                              .last_activity = r->int64(i, k + 3)});
  }
  co_return out;
}

// One statement, so one snapshot: the unread counts and last messages agree with the rooms.
Task<Result<std::vector<RoomSummary>>> roomsOf(PgConn& c, UserId user) {
  const Params p(user);
  auto r = co_await c.query(kRoomsOf, p);
  if (!r) co_return r.error();
  constexpr int kUnread = kRoomColumnCount + kMemberColumnCount;
  constexpr int kMentions = kUnread + 1;
  constexpr int kLast = kMentions + 1;
  std::vector<RoomSummary> out;
  for (int i = 0; i < r->rows(); ++i) {
    RoomSummary s;
    s.room = readRoom(*r, i);
    s.me = readMember(*r, i, kRoomColumnCount);
    s.unread = r->int64(i, kUnread);
    s.mentions = r->int64(i, kMentions);
    if (!r->isNull(i, kLast)) s.last_message = readEvent(*r, i, kLast);
    out.push_back(std::move(s));
  }
  co_return out;
}

Task<Result<RoomKeyRecord>> roomKey(PgConn& c, RoomId room, std::uint32_t version) {
  const Params p(room, version);
  auto r = co_await c.query(
      "SELECT room_id, version, wrapped FROM room_keys WHERE room_id = $1 AND version = $2", p);
  co_return oneKey(r);
}

Task<Result<RoomKeyRecord>> latestRoomKey(PgConn& c, RoomId room) {
  const Params p(room);
  auto r = co_await c.query(
      "SELECT room_id, version, wrapped FROM room_keys WHERE room_id = $1 "
      "ORDER BY version DESC LIMIT 1",
      p);
  co_return oneKey(r);
}

Task<Status> putRoomKey(PgConn& c, const RoomKeyRecord& k) {
  const Params p(k.room_id, k.version, Bytes{k.wrapped});
  auto r =
      co_await c.query("INSERT INTO room_keys(room_id, version, wrapped) VALUES ($1, $2, $3)", p);
  if (r) co_return Status{};
  if (r.error().code == Code::conflict) co_return makeError(Code::conflict, "room key exists");
  if (r.error().code == Code::not_found) co_return makeError(Code::not_found, "room not found");
  co_return r.error();
}

Task<Result<std::vector<RoomKeyRecord>>> roomKeysAfter(PgConn& c, RoomId room,
                                                       std::uint32_t version, int limit) {
  const Params p(room, static_cast<std::int64_t>(version), static_cast<std::int64_t>(limit));
  auto r = co_await c.query(
      "SELECT room_id, version, wrapped FROM room_keys WHERE (room_id, version) > ($1, $2) "
      "ORDER BY room_id, version LIMIT $3",
      p);
  if (!r) co_return r.error();
  std::vector<RoomKeyRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->int64(i, 0), static_cast<std::uint32_t>(r->int64(i, 1)), r->text(i, 2)});
  }
  co_return out;
}

Task<Status> rewrapRoomKey(PgConn& c, const RoomKeyRecord& k, const std::string& expected) {
  const Params p(k.room_id, k.version, Bytes{k.wrapped}, Bytes{expected});
  auto r = co_await c.query(
      "UPDATE room_keys SET wrapped = $3 WHERE room_id = $1 AND version = $2 AND wrapped = $4 "
      "RETURNING version",
      p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::conflict, "room key changed");
  co_return Status{};
}

}  // namespace parley::postgres::ops
