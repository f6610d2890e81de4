// Pins: Store::append of kind pin/unpin through parley_pin (schema step 17, one statement
// that locks the target and the room row, changes the pin row and appends the event),
// Store::pins; room settings and notification levels.
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

// Each setting keeps its value when its parameter is NULL.
constexpr const char* kSettings = R"sql(
UPDATE rooms SET room_mentions = coalesce($2, room_mentions), pins = coalesce($3, pins)
WHERE id = $1 AND deleted_at IS NULL RETURNING id)sql";

constexpr const char* kNotifications = R"sql(
UPDATE members SET notify = $3, muted = $4 WHERE room_id = $1 AND user_id = $2 RETURNING 1)sql";

std::optional<std::string_view> settingOf(const std::optional<WhoMay>& w) {
  if (!w) return std::nullopt;
  return toString(*w);
}

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

Task<Result<Room>> setRoomSettings(PgConn& c, RoomId room, const RoomSettings& s) {
  const Params p(room, settingOf(s.room_mentions), settingOf(s.pins));
  auto res = co_await c.query(kSettings, p);
  if (!res) co_return res.error();
  if (res->rows() == 0) co_return makeError(Code::not_found, "room not found");
  co_return co_await roomById(c, room);
}

Task<Status> setNotifications(PgConn& c, RoomId room, UserId user, NotifyLevel level, bool muted) {
  const Params p(room, user, toString(level), muted);
  auto res = co_await c.query(kNotifications, p);
  if (!res) co_return res.error();
  if (res->rows() == 0) co_return makeError(Code::not_found, "not a member of the room");
  co_return Status{};
}

}  // namespace parley::postgres::ops
