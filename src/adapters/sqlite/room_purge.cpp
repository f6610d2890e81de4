// Deleting a room and removing its rows afterwards (Store::deleteRoom, purgeRoom).
#include <algorithm>

#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

Result<std::vector<UserId>> deleteRoom(Db& db, RoomId room, Millis now) {
  {
    Stmt st = db.prepare("SELECT 1 FROM rooms WHERE id = ? AND deleted_at IS NULL");
    if (!st.bind(room).step()) return makeError(Code::not_found, "room not found");
  }
  std::vector<UserId> members;
  {
    Stmt st = db.prepare("SELECT user_id FROM members WHERE room_id = ? ORDER BY user_id");
    st.bind(room);
    while (st.step()) members.push_back(st.int64(0));
  }
  db.prepare("DELETE FROM members WHERE room_id = ?").bind(room).step();
  db.prepare("DELETE FROM room_keys WHERE room_id = ?").bind(room).step();
  db.prepare(
        "UPDATE rooms SET deleted_at = ?, is_public = 0, name = '', topic = '', "
        "direct_key = NULL WHERE id = ?")
      .bind(now, room)
      .step();
  return members;
}

std::vector<RoomId> roomsToPurge(Db& db, int limit) {
  Stmt st = db.prepare(
      "SELECT id FROM rooms WHERE deleted_at IS NOT NULL AND purged = 0 ORDER BY id LIMIT ?");
  st.bind(std::max(limit, 0));
  std::vector<RoomId> out;
  while (st.step()) out.push_back(st.int64(0));
  return out;
}

Result<RoomPurge> purgeRoom(Db& db, RoomId room, int limit) {
  {
    Stmt st = db.prepare("SELECT 1 FROM rooms WHERE id = ? AND deleted_at IS NOT NULL");
    if (!st.bind(room).step()) return makeError(Code::not_found, "no deleted room with this id");
  }
  RoomPurge out;
  out.files = takeRoomFiles(db, room, limit);
  const int left = std::max(limit, 0) - static_cast<int>(out.files.size());
  if (left > 0) {
    // Reactions go with their events (ON DELETE CASCADE).
    Stmt st = db.prepare(
        "DELETE FROM events WHERE room_id = ?1 AND seq IN "
        "(SELECT seq FROM events WHERE room_id = ?1 ORDER BY seq LIMIT ?2)");
    st.bind(room, left).step();
    out.events = static_cast<int>(db.changes());
  }
  if (left > 0 && out.events < left) {
    db.prepare("DELETE FROM reactions WHERE room_id = ?").bind(room).step();
    db.prepare("DELETE FROM pins WHERE room_id = ?").bind(room).step();
    db.prepare("UPDATE rooms SET purged = 1 WHERE id = ?").bind(room).step();
    out.done = true;
  }
  return out;
}

}  // namespace parley::sqlite::ops
