// Pins: Store::append of kind pin/unpin through parley_pin (schema step 17, one statement
// that locks the target and the room row, changes the pin row and appends the event),
// Store::pins; room settings (with their timeline event) and notification levels.
#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

constexpr const char* kPin =
    "SELECT r_outcome, r_seq FROM parley_pin($1, $2, $3, $4, $5, $6, $7, $8)";

constexpr const char* kPins = R"sql(
SELECT e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, e.target,
  e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions,
  e.thread_root, e.thread, e.mentions, e.mention_flags, p.pinned_by, p.pinned_at, p.pin_seq
FROM pins p JOIN events e ON e.room_id = p.room_id AND e.seq = p.seq
WHERE p.room_id = $1 ORDER BY p.pin_seq DESC LIMIT 50)sql";

// Every setting and the seq in one UPDATE (invariant 2: it locks the room row), and the
// event in the same statement, so the row and its newest settings event commit together.
constexpr const char* kSettings = R"sql(
WITH r AS (
  UPDATE rooms SET name = $2, topic = $3, is_public = $4, archived = $5, post = $6,
    room_mentions = $7, pins = $8, last_seq = last_seq + 1
  WHERE id = $1 AND deleted_at IS NULL AND kind = 'group' RETURNING last_seq)
INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                   created_at, key_version, sealed_body)
SELECT $1, r.last_seq, $9, 'settings', $10, '', 0, 0, $11, $12, $13 FROM r RETURNING seq)sql";

constexpr const char* kRoomKind = R"sql(
SELECT kind FROM rooms WHERE id = $1 AND deleted_at IS NULL)sql";

constexpr const char* kNotifications = R"sql(
UPDATE members SET notify = $3, muted = $4 WHERE room_id = $1 AND user_id = $2 RETURNING 1)sql";

}  // namespace

Task<Result<AppendResult>> changePin(PgConn& c, const AppendRequest& r) {
  const bool add = r.kind == EventKind::pin;
  const Params p(r.room_id, r.target, r.sender, add, r.max_pins, r.event_id, r.now, r.key_version);
  auto res = co_await c.query(kPin, p);
  if (!res) co_return res.error();
  if (res->rows() != 1) co_return makeError(Code::internal, "postgres: parley_pin gave no row");
  const std::string outcome = res->text(0, 0);
  if (outcome == "ok") {
    co_return AppendResult{.event = storedEventOf(r, res->int64(0, 1)), .duplicate = false};
  }
  // As MessageService::requireMember words them: a private room is not revealed.
  if (outcome == "not_member") co_return makeError(Code::not_member, "not a member of this room");
  if (outcome == "no_room") co_return makeError(Code::not_found, "no such room");
  if (outcome == "forbidden") {
    co_return makeError(Code::forbidden, "only owners and admins may pin here");
  }
  if (outcome == "no_message") co_return makeError(Code::not_found, "no such message");
  if (outcome == "too_many") {
    co_return makeError(Code::conflict, "this room has as many pinned messages as it may");
  }
  // unchanged: the answer is the target as it stands.
  auto target = co_await eventAt(c, r.room_id, r.target);
  if (!target) co_return target.error();
  co_return AppendResult{.event = std::move(*target), .duplicate = true};
}

Task<Result<std::vector<Pin>>> pins(PgConn& c, RoomId room) {
  const Params p(room);
  auto res = co_await c.query(kPins, p);
  if (!res) co_return res.error();
  std::vector<Pin> out;
  for (int i = 0; i < res->rows(); ++i) {
    out.push_back(Pin{.message = readEvent(*res, i),
                      .pinned_by = res->int64(i, kEventColumnCount),
                      .pinned_at = res->int64(i, kEventColumnCount + 1),
                      .pin_seq = res->int64(i, kEventColumnCount + 2)});
  }
  co_return out;
}

Task<Result<SettingsChanged>> changeRoomSettings(PgConn& c, const SettingsChange& s) {
  const Params p(s.room_id, s.name, s.topic, s.is_public, s.archived, toString(s.post),
                 toString(s.room_mentions), toString(s.pins), s.event_id, s.sender, s.now,
                 s.key_version, Bytes{s.sealed_body});
  auto res = co_await c.query(kSettings, p);
  if (!res) co_return res.error();
  if (res->rows() == 0) {
    const Params k(s.room_id);
    auto kind = co_await c.query(kRoomKind, k);
    if (!kind) co_return kind.error();
    if (kind->rows() == 1 && kind->text(0, 0) == "direct") {
      co_return makeError(Code::forbidden, "a direct room has no settings");
    }
    co_return makeError(Code::not_found, "room not found");
  }
  StoredEvent e{.room_id = s.room_id,
                .seq = res->int64(0, 0),
                .event_id = s.event_id,
                .kind = EventKind::settings,
                .sender = s.sender,
                .created_at = s.now,
                .key_version = s.key_version,
                .sealed_body = s.sealed_body};
  auto room = co_await roomById(c, s.room_id);
  if (!room) co_return room.error();
  co_return SettingsChanged{.room = std::move(*room), .event = std::move(e)};
}

Task<Status> setNotifications(PgConn& c, RoomId room, UserId user, NotifyLevel level, bool muted) {
  const Params p(room, user, toString(level), muted);
  auto res = co_await c.query(kNotifications, p);
  if (!res) co_return res.error();
  if (res->rows() == 0) co_return makeError(Code::not_found, "not a member of the room");
  co_return Status{};
}

}  // namespace parley::postgres::ops
