// Pins (Store::append of kind pin/unpin, Store::pins), room settings and notification
// levels: one row per pinned message in `pins`, beside the events that pinned it.
#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/rows.h"

namespace parley::sqlite::ops {

namespace {

// A plain member of a group room whose pins are for owners and admins may not pin.
bool mayPin(Db& db, const AppendRequest& r) {
  return !db.prepare(
                "SELECT 1 FROM rooms rr JOIN members mm ON mm.room_id = rr.id WHERE rr.id = ? "
                "AND rr.kind = 'group' AND rr.pins = 'admins' AND mm.user_id = ? "
                "AND mm.role = 'member'")
              .bind(r.room_id, r.sender)
              .step();
}

bool pinned(Db& db, RoomId room, Seq seq) {
  return db.prepare("SELECT 1 FROM pins WHERE room_id = ? AND seq = ?").bind(room, seq).step();
}

}  // namespace

// Membership and the room were checked by append.
Result<AppendResult> changePin(Db& db, const AppendRequest& r, Seq (*next_seq)(Db&, RoomId)) {
  if (!mayPin(db, r)) return makeError(Code::forbidden, "only owners and admins may pin here");
  auto target = eventAt(db, r.room_id, r.target);
  if (!target || target->kind != EventKind::message || target->deleted) {
    return makeError(Code::not_found, "no such message");
  }
  const bool add = r.kind == EventKind::pin;
  if (pinned(db, r.room_id, r.target) == add) {
    return AppendResult{.event = std::move(*target), .duplicate = true};
  }
  if (add) {
    Stmt st = db.prepare("SELECT count(*) FROM pins WHERE room_id = ?");
    st.bind(r.room_id).step();
    if (st.int64(0) >= r.max_pins) {
      return makeError(Code::conflict, "this room has as many pinned messages as it may");
    }
  }
  StoredEvent e = storedEventOf(r, next_seq(db, r.room_id));
  if (add) {
    db.prepare(
          "INSERT INTO pins(room_id, seq, pinned_by, pinned_at, pin_seq) VALUES (?, ?, ?, ?, ?)")
        .bind(r.room_id, r.target, r.sender, r.now, e.seq)
        .run();
  } else {
    db.prepare("DELETE FROM pins WHERE room_id = ? AND seq = ?").bind(r.room_id, r.target).run();
  }
  insertEvent(db, e);
  return AppendResult{.event = std::move(e), .duplicate = false};
}

Result<std::vector<Pin>> pins(Db& db, RoomId room) {
  Stmt st = db.prepare(std::string("SELECT ") + kEventColumns +
                       ", pinned_by, pinned_at, pin_seq FROM (SELECT e.*, p.pinned_by, "
                       "p.pinned_at, p.pin_seq FROM pins p JOIN events e ON e.room_id = "
                       "p.room_id AND e.seq = p.seq WHERE p.room_id = ?) "
                       "ORDER BY pin_seq DESC LIMIT 50");
  st.bind(room);
  std::vector<Pin> out;
  while (st.step()) {
    out.push_back(Pin{.message = readEvent(st),
                      .pinned_by = st.int64(kEventColumnCount),
                      .pinned_at = st.int64(kEventColumnCount + 1),
                      .pin_seq = st.int64(kEventColumnCount + 2)});
  }
  return out;
}

Result<Room> setRoomSettings(Db& db, RoomId room, const RoomSettings& s) {
  if (!db.prepare("SELECT 1 FROM rooms WHERE id = ? AND deleted_at IS NULL").bind(room).step()) {
    return makeError(Code::not_found, "room not found");
  }
  if (s.room_mentions) {
    db.prepare("UPDATE rooms SET room_mentions = ? WHERE id = ?")
        .bind(toString(*s.room_mentions), room)
        .run();
  }
  if (s.pins) {
    db.prepare("UPDATE rooms SET pins = ? WHERE id = ?").bind(toString(*s.pins), room).run();
  }
  return roomById(db, room);
}

Status setNotifications(Db& db, RoomId room, UserId user, NotifyLevel level, bool muted) {
  db.prepare("UPDATE members SET notify = ?, muted = ? WHERE room_id = ? AND user_id = ?")
      .bind(toString(level), muted, room, user)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "not a member of the room");
  return {};
}

}  // namespace parley::sqlite::ops
