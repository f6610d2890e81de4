#include <algorithm>

#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

std::string memberSelect(const char* where) {
  return std::string("SELECT ") + kMemberColumns +
         " FROM members m JOIN users u ON u.id = m.user_id " + where;
}

Error notMember() { return makeError(Code::not_found, "not a member of the room"); }

bool roomExists(Db& db, RoomId room) {
  return db.prepare("SELECT 1 FROM rooms WHERE id = ?").bind(room).step();
}

// Whether `user` is the only owner of group room `room` (Store::removeMember, setRole).
bool soleOwner(Db& db, RoomId room, UserId user) {
  return db
      .prepare(
          "SELECT 1 FROM members m JOIN rooms r ON r.id = m.room_id "
          "WHERE m.room_id = ?1 AND m.user_id = ?2 AND m.role = 'owner' AND r.kind = 'group' "
          "AND NOT EXISTS (SELECT 1 FROM members o "
          "  WHERE o.room_id = ?1 AND o.user_id != ?2 AND o.role = 'owner')")
      .bind(room, user)
      .step();
}

bool othersStay(Db& db, RoomId room, UserId user) {
  return db.prepare("SELECT 1 FROM members WHERE room_id = ? AND user_id != ? LIMIT 1")
      .bind(room, user)
      .step();
}

Error lastOwner() { return makeError(Code::conflict, "the room's last owner"); }

}  // namespace

Result<Member> member(Db& db, RoomId room, UserId user) {
  // With the room's last seq, in the same statement (Store::member()).
  Stmt st = db.prepare(std::string("SELECT ") + kMemberColumns +
                       ", r.last_seq FROM members m JOIN users u ON u.id = m.user_id"
                       " JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ? AND m.user_id = ?");
  if (!st.bind(room, user).step()) return notMember();
  Member m = readMember(st);
  m.room_last_seq = st.int64(kMemberColumnCount);
  return m;
}

Result<std::vector<Member>> members(Db& db, RoomId room) {
  Stmt st = db.prepare(memberSelect("WHERE m.room_id = ? ORDER BY m.joined_at, m.user_id"));
  st.bind(room);
  std::vector<Member> out;
  while (st.step()) out.push_back(readMember(st));
  return out;
}

void insertMember(Db& db, RoomId room, UserId user, Role role, Millis now) {
  db.prepare("INSERT INTO members(room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)")
      .bind(room, user, toString(role), now)
      .run();
}

Result<Member> addMember(Db& db, RoomId room, UserId user, Role role, Millis now) {
  if (!roomExists(db, room)) return makeError(Code::not_found, "room not found");
  try {
    insertMember(db, room, user, role, now);
  } catch (const SqliteError& e) {
    if (e.error().code == Code::conflict) {
      return makeError(Code::conflict, "already a member of the room");
    }
    if (e.error().code == Code::not_found) return makeError(Code::not_found, "user not found");
    throw;
  }
  return member(db, room, user);
}

Status removeMember(Db& db, RoomId room, UserId user) {
  if (soleOwner(db, room, user) && othersStay(db, room, user)) return lastOwner();
  db.prepare("DELETE FROM members WHERE room_id = ? AND user_id = ?").bind(room, user).run();
  if (db.changes() == 0) return notMember();
  return {};
}

Status setRole(Db& db, RoomId room, UserId user, Role role) {
  if (role != Role::owner && soleOwner(db, room, user)) return lastOwner();
  db.prepare("UPDATE members SET role = ? WHERE room_id = ? AND user_id = ?")
      .bind(toString(role), room, user)
      .run();
  if (db.changes() == 0) return notMember();
  return {};
}

// Clamped to the room's last seq: a marker past the end would silently mark messages
// that do not exist yet as read.
Result<Seq> setReadMarker(Db& db, RoomId room, UserId user, Seq seq) {
  Stmt st = db.prepare(
      "UPDATE members SET last_read_seq = max(last_read_seq, "
      "  min(?1, (SELECT last_seq FROM rooms WHERE id = ?2))) "
      "WHERE room_id = ?2 AND user_id = ?3 RETURNING last_read_seq");
  if (!st.bind(seq, room, user).step()) return notMember();
  return st.int64(0);
}

Result<std::vector<Member>> membersPage(Db& db, RoomId room, UserId after, int limit) {
  Stmt st =
      db.prepare(memberSelect("WHERE m.room_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?"));
  st.bind(room, after, std::max(limit, 0));
  std::vector<Member> out;
  while (st.step()) out.push_back(readMember(st));
  return out;
}

Result<std::int64_t> memberCount(Db& db, RoomId room) {
  Stmt st = db.prepare("SELECT member_count FROM rooms WHERE id = ?");
  if (!st.bind(room).step()) return makeError(Code::not_found, "room not found");
  return st.int64(0);
}

// The rooms of `user` first (members_by_user), filtered on their kept member count, and
// only then the members of the rooms that pass: a big room costs one row here.
Result<std::vector<UserId>> coMembers(Db& db, UserId user, std::int64_t max_group) {
  Stmt st = db.prepare(
      "SELECT DISTINCT other.user_id FROM members mine "
      "JOIN rooms r ON r.id = mine.room_id "
      "JOIN members other ON other.room_id = mine.room_id "
      "WHERE mine.user_id = ?1 AND other.user_id != ?1 "
      "AND (r.kind = 'direct' OR r.member_count <= ?2) ORDER BY other.user_id");
  st.bind(user, max_group);
  std::vector<UserId> out;
  while (st.step()) out.push_back(st.int64(0));
  return out;
}

}  // namespace parley::sqlite::ops
