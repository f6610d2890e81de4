#include <algorithm>

#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

std::string roomSelect(const char* where) {
  return std::string("SELECT ") + kRoomColumns + " FROM rooms r " + where;
}

Room insertRoom(Db& db, Room room, std::optional<std::string_view> direct_key) {
  Stmt st = db.prepare(
      "INSERT INTO rooms(kind, name, topic, is_public, created_by, created_at, direct_key) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
  st.bind(toString(room.kind), room.name, room.topic, room.is_public, room.created_by,
          room.created_at, direct_key)
      .step();
  room.id = st.int64(0);
  return room;
}

Result<RoomKeyRecord> oneKey(Stmt& st) {
  if (!st.step()) return makeError(Code::not_found, "room key not found");
  return RoomKeyRecord{.room_id = st.int64(0),
                       .version = static_cast<std::uint32_t>(st.int64(1)),
                       .wrapped = st.blob(2)};
}

}  // namespace

Result<Room> createRoom(Db& db, const NewRoom& r) {
  Room room = insertRoom(db,
                         Room{.kind = r.kind,
                              .name = r.name,
                              .topic = r.topic,
                              .is_public = r.is_public,
                              .created_by = r.created_by,
                              .created_at = r.now},
                         std::nullopt);
  insertMember(db, room.id, r.created_by, Role::owner, r.now);
  return room;
}

// Runs on the writer, so two calls for the same pair are serialised: the second finds
// the room the first created (and the UNIQUE direct_key backs that up).
Result<Room> directRoom(Db& db, UserId a, UserId b, Millis now) {
  if (a == b) return makeError(Code::bad_request, "a direct room needs two different users");
  const std::string direct_key =
      std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
  {
    Stmt st = db.prepare(roomSelect("WHERE r.direct_key = ?"));
    if (st.bind(direct_key).step()) return readRoom(st);
  }
  Room direct;
  direct.kind = RoomKind::direct;
  direct.created_by = a;
  direct.created_at = now;
  Room room = insertRoom(db, std::move(direct), direct_key);
  insertMember(db, room.id, a, Role::member, now);
  insertMember(db, room.id, b, Role::member, now);
  return room;
}

Result<Room> roomById(Db& db, RoomId id) {
  Stmt st = db.prepare(roomSelect("WHERE r.id = ? AND r.deleted_at IS NULL"));
  if (!st.bind(id).step()) return makeError(Code::not_found, "room not found");
  return readRoom(st);
}

Result<std::vector<Room>> publicRooms(Db& db, int limit) {
  Stmt st = db.prepare(roomSelect("WHERE r.is_public = 1 ORDER BY r.id LIMIT ?"));
  st.bind(std::max(limit, 0));
  std::vector<Room> out;
  while (st.step()) out.push_back(readRoom(st));
  return out;
}

// The owner and the last event are read by the primary keys of members and events, so a
// page costs a few index lookups per room, never a scan of a timeline.
Result<std::vector<RoomListing>> searchRooms(Db& db, const std::string& prefix, RoomId after,
                                             int limit) {
  Stmt st = db.prepare(std::string("SELECT ") + kRoomColumns +
                       ", r.member_count, COALESCE(o.id, 0), COALESCE(o.username, ''), "
                       "COALESCE((SELECT e.created_at FROM events e WHERE e.room_id = r.id "
                       "ORDER BY e.seq DESC LIMIT 1), 0) "
                       "FROM rooms r LEFT JOIN users o ON o.id = (SELECT m.user_id FROM members m "
                       "WHERE m.room_id = r.id AND m.role = 'owner' ORDER BY m.user_id LIMIT 1) "
                       "WHERE r.deleted_at IS NULL AND r.name LIKE ? ESCAPE '\\' AND r.id > ? "
                       "ORDER BY r.id LIMIT ?");
  st.bind(likePrefix(prefix), after, std::max(limit, 0));
  std::vector<RoomListing> out;
  constexpr int k = kRoomColumnCount;
  while (st.step()) {
    out.push_back(RoomListing{.room = readRoom(st),
                              .member_count = st.int64(k),
                              .owner_id = st.int64(k + 1),
                              .owner = st.text(k + 2),
                              .last_activity = st.int64(k + 3)});
  }
  return out;
}

Result<std::vector<RoomSummary>> roomsOf(Db& db, UserId user) {
  std::vector<RoomSummary> out;
  {
    Stmt st = db.prepare(std::string("SELECT ") + kRoomColumns + ", " + kMemberColumns +
                         " FROM members m JOIN rooms r ON r.id = m.room_id"
                         " JOIN users u ON u.id = m.user_id WHERE m.user_id = ? ORDER BY r.id");
    st.bind(user);
    while (st.step()) {
      RoomSummary summary;
      summary.room = readRoom(st);
      summary.me = readMember(st, kRoomColumnCount);
      out.push_back(std::move(summary));
    }
  }
  for (RoomSummary& s : out) {
    const UnreadCounts counts = unreadCounts(db, s.room.id, user, s.me.last_read_seq);
    s.unread = counts.unread;
    s.mentions = counts.mentions;
    s.last_message = newestMessage(db, s.room.id);
  }
  return out;
}

Result<RoomKeyRecord> roomKey(Db& db, RoomId room, std::uint32_t version) {
  Stmt st = db.prepare(
      "SELECT room_id, version, wrapped FROM room_keys WHERE room_id = ? AND version = ?");
  st.bind(room, version);
  return oneKey(st);
}

Result<RoomKeyRecord> latestRoomKey(Db& db, RoomId room) {
  Stmt st = db.prepare(
      "SELECT room_id, version, wrapped FROM room_keys WHERE room_id = ? "
      "ORDER BY version DESC LIMIT 1");
  st.bind(room);
  return oneKey(st);
}

Status putRoomKey(Db& db, const RoomKeyRecord& k) {
  try {
    db.prepare("INSERT INTO room_keys(room_id, version, wrapped) VALUES (?, ?, ?)")
        .bind(k.room_id, k.version, Blob{k.wrapped})
        .run();
  } catch (const SqliteError& e) {
    if (e.error().code == Code::conflict) return makeError(Code::conflict, "room key exists");
    if (e.error().code == Code::not_found) return makeError(Code::not_found, "room not found");
    throw;
  }
  return {};
}

std::vector<RoomKeyRecord> roomKeysAfter(Db& db, RoomId room, std::uint32_t version, int limit) {
  Stmt st = db.prepare(
      "SELECT room_id, version, wrapped FROM room_keys WHERE (room_id, version) > (?, ?) "
      "ORDER BY room_id, version LIMIT ?");
  st.bind(room, version, limit);
  std::vector<RoomKeyRecord> out;
  while (st.step()) {
    out.push_back({st.int64(0), static_cast<std::uint32_t>(st.int64(1)), st.blob(2)});
  }
  return out;
}

Status rewrapRoomKey(Db& db, const RoomKeyRecord& k, const std::string& expected) {
  db.prepare("UPDATE room_keys SET wrapped = ? WHERE room_id = ? AND version = ? AND wrapped = ?")
      .bind(Blob{k.wrapped}, k.room_id, k.version, Blob{expected})
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "room key changed");
  return {};
}

}  // namespace parley::sqlite::ops
