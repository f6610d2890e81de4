// Pins (Store::append of kind pin/unpin, Store::pins), room settings (with their timeline
// event) and notification levels: one row per pinned message in `pins`, beside the events that
// pinned it.
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

// One statement sets every setting and takes the seq (invariant 2), so the event and the row
// it describes commit together.
Result<SettingsChanged> changeRoomSettings(Db& db, const SettingsChange& c) {
  Stmt st = db.prepare("SELECT kind FROM rooms WHERE id = ? AND deleted_at IS NULL");
  if (!st.bind(c.room_id).step()) return makeError(Code::not_found, "room not found");
  if (st.text(0) == "direct") return makeError(Code::forbidden, "a direct room has no settings");
  Stmt up = db.prepare(
      "UPDATE rooms SET name = ?, topic = ?, is_public = ?, archived = ?, post = ?, "
      "room_mentions = ?, pins = ?, last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq");
  up.bind(c.name, c.topic, c.is_public, c.archived, toString(c.post), toString(c.room_mentions),
          toString(c.pins), c.room_id)
      .step();
  StoredEvent e{.room_id = c.room_id,
                .seq = up.int64(0),
                .event_id = c.event_id,
                .kind = EventKind::settings,
                .sender = c.sender,
                .created_at = c.now,
                .key_version = c.key_version,
                .sealed_body = c.sealed_body};
  insertEvent(db, e);
  auto room = roomById(db, c.room_id);
  if (!room) return room.error();
  return SettingsChanged{.room = std::move(*room), .event = std::move(e)};
}

Status setNotifications(Db& db, RoomId room, UserId user, NotifyLevel level, bool muted) {
  db.prepare("UPDATE members SET notify = ?, muted = ? WHERE room_id = ? AND user_id = ?")
      .bind(toString(level), muted, room, user)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "not a member of the room");
  return {};
}

}  // namespace parley::sqlite::ops
