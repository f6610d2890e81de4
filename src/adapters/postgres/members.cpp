#include <algorithm>

#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

std::string memberSelect(const char* where) {
  return std::string("SELECT ") + kMemberColumns +
         " FROM members m JOIN users u ON u.id = m.user_id " + where;
}

Error notMember() { return makeError(Code::not_found, "not a member of the room"); }

// Inserts and reads back with the username, in one statement.
constexpr const char* kAddMember = R"sql(
WITH m AS (
  INSERT INTO members(room_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) RETURNING *)
SELECT m.room_id, m.user_id, u.username, m.role, m.last_read_seq, m.joined_at, m.notify, m.muted
FROM m JOIN users u ON u.id = m.user_id)sql";

// Clamped to the room's last seq (as in the SQLite adapter): a marker past the end would
// silently mark messages that do not exist yet as read. Concurrent calls serialise on the
// member row and each re-reads the marker, so it only moves forward.
constexpr const char* kSetReadMarker = R"sql(
UPDATE members SET last_read_seq = GREATEST(last_read_seq,
    LEAST($1, (SELECT last_seq FROM rooms WHERE id = $2)))
WHERE room_id = $2 AND user_id = $3 RETURNING last_read_seq)sql";

// Store::removeMember and setRole keep an owner in every group room with members. Each runs
// as one pipeline (one transaction) that first locks the room row: the member_count trigger
// locks it too, so the membership changes of a room are serialised, and the guard reads
// the members after any concurrent change has committed (READ COMMITTED takes a fresh
// snapshot per statement). $1 room, $2 user.
constexpr const char* kLockRoom = "SELECT 1 FROM rooms WHERE id = $1 FOR NO KEY UPDATE";
constexpr const char* kSoleOwner =
    "(role = 'owner' AND (SELECT kind FROM rooms WHERE id = $1) = 'group' AND NOT EXISTS ("
    "SELECT 1 FROM members o WHERE o.room_id = $1 AND o.user_id <> $2 AND o.role = 'owner'))";
const std::string kRemoveMember =
    std::string("DELETE FROM members WHERE room_id = $1 AND user_id = $2 AND NOT (") + kSoleOwner +
    " AND EXISTS (SELECT 1 FROM members o WHERE o.room_id = $1 AND o.user_id <> $2))";
const std::string kSetRole =
    std::string("UPDATE members SET role = $3 WHERE room_id = $1 AND user_id = $2 ") +
    "AND ($3 = 'owner' OR NOT " + kSoleOwner + ")";
// Read after a change that did nothing: still a member means the guard refused it.
constexpr const char* kIsMember = "SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2";

Task<Status> guardedChange(PgConn& c, RoomId room, UserId user, const std::string& change,
                           Params params) {
  std::vector<Statement> s;
  s.push_back({kLockRoom, Params(room)});
  s.push_back({change.c_str(), std::move(params)});
  s.push_back({kIsMember, Params(room, user)});
  auto res = co_await c.pipeline(s);
  if (!res) co_return res.error();
  if ((*res)[1].affected() > 0) co_return Status{};
  if ((*res)[2].rows() == 0) co_return notMember();
  co_return makeError(Code::conflict, "the room's last owner");
}

}  // namespace

Task<Result<Member>> member(PgConn& c, RoomId room, UserId user) {
  // With the room's last seq, in the same statement (Store::member()).
  static const std::string sql = std::string("SELECT ") + kMemberColumns +
                                 ", r.last_seq FROM members m JOIN users u ON u.id = m.user_id"
                                 " JOIN rooms r ON r.id = m.room_id"
                                 " WHERE m.room_id = $1 AND m.user_id = $2";
  const Params p(room, user);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return notMember();
  Member m = readMember(*r, 0);
  m.room_last_seq = r->int64(0, kMemberColumnCount);
  co_return m;
}

Task<Result<std::vector<Member>>> members(PgConn& c, RoomId room) {
  static const std::string sql =
      memberSelect("WHERE m.room_id = $1 ORDER BY m.joined_at, m.user_id");
  const Params p(room);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Member> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readMember(*r, i));
  co_return out;
}

Task<Result<Member>> addMember(PgConn& c, RoomId room, UserId user, Role role, Millis now) {
  const Params p(room, user, toString(role), now);
  auto r = co_await c.query(kAddMember, p);
  if (!r) {
    if (r.error().code == Code::conflict) {
      co_return makeError(Code::conflict, "already a member of the room");
    }
    if (r.error().code == Code::not_found) {
      co_return makeError(Code::not_found, "room or user not found");
    }
    co_return r.error();
  }
  co_return readMember(*r, 0);
}

Task<Status> removeMember(PgConn& c, RoomId room, UserId user) {
  co_return co_await guardedChange(c, room, user, kRemoveMember, Params(room, user));
}

Task<Status> setRole(PgConn& c, RoomId room, UserId user, Role role) {
  co_return co_await guardedChange(c, room, user, kSetRole, Params(room, user, toString(role)));
}

Task<Result<Seq>> setReadMarker(PgConn& c, RoomId room, UserId user, Seq seq) {
  const Params p(seq, room, user);
  auto r = co_await c.query(kSetReadMarker, p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return notMember();
  co_return r->int64(0, 0);
}

Task<Result<std::vector<Member>>> membersPage(PgConn& c, RoomId room, UserId after, int limit) {
  static const std::string sql =
      memberSelect("WHERE m.room_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3");
  const Params p(room, after, std::max(limit, 0));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Member> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readMember(*r, i));
  co_return out;
}

Task<Result<std::int64_t>> memberCount(PgConn& c, RoomId room) {
  const Params p(room);
  auto r = co_await c.query("SELECT member_count FROM rooms WHERE id = $1", p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "room not found");
  co_return r->int64(0, 0);
}

// The rooms of `user` first (members_by_user), filtered on their kept member count, and
// only then the members of the rooms that pass: a big room costs one row here.
Task<Result<std::vector<UserId>>> coMembers(PgConn& c, UserId user, std::int64_t max_group) {
  const Params p(user, max_group);
  auto r = co_await c.query(
      "SELECT DISTINCT other.user_id FROM members mine "
      "JOIN rooms r ON r.id = mine.room_id "
      "JOIN members other ON other.room_id = mine.room_id "
      "WHERE mine.user_id = $1 AND other.user_id <> $1 "
      "AND (r.kind = 'direct' OR r.member_count <= $2) ORDER BY other.user_id",
      p);
  if (!r) co_return r.error();
  std::vector<UserId> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->int64(i, 0));
  co_return out;
}

}  // namespace parley::postgres::ops
