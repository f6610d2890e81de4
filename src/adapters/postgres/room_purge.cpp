// Deleting a room and removing its rows afterwards (Store::deleteRoom, purgeRoom).
#include <algorithm>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

// One transaction (a pipeline): the UPDATE locks the room row first, as membership changes
// do (members.cpp), so a concurrent join or leave is ordered before or after the deletion.
constexpr const char* kMarkDeleted =
    "UPDATE rooms SET deleted_at = $2, is_public = false, name = '', topic = '', "
    "direct_key = NULL WHERE id = $1 AND deleted_at IS NULL";
constexpr const char* kDropMembers =
    "DELETE FROM members WHERE room_id = $1 AND EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND "
    "deleted_at = $2) RETURNING user_id";
constexpr const char* kDropKeys =
    "DELETE FROM room_keys WHERE room_id = $1 AND EXISTS (SELECT 1 FROM rooms WHERE id = $1 "
    "AND deleted_at = $2)";
constexpr const char* kDropEvents =
    "DELETE FROM events WHERE room_id = $1 AND seq IN (SELECT seq FROM events WHERE room_id = $1 "
    "AND EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NOT NULL) ORDER BY seq "
    "LIMIT $2)";
constexpr const char* kMarkPurged =
    "UPDATE rooms SET purged = true WHERE id = $1 AND deleted_at IS NOT NULL";

}  // namespace

Task<Result<std::vector<UserId>>> deleteRoom(PgConn& c, RoomId room, Millis now) {
  std::vector<Statement> s;
  s.push_back({kMarkDeleted, Params(room, now)});
  s.push_back({kDropMembers, Params(room, now)});
  s.push_back({kDropKeys, Params(room, now)});
  auto res = co_await c.pipeline(s);
  if (!res) co_return res.error();
  if ((*res)[0].affected() == 0) co_return makeError(Code::not_found, "room not found");
  std::vector<UserId> members;
  const PgResult& m = (*res)[1];
  for (int i = 0; i < m.rows(); ++i) members.push_back(m.int64(i, 0));
  std::sort(members.begin(), members.end());
  co_return members;
}

Task<Result<std::vector<RoomId>>> roomsToPurge(PgConn& c, int limit) {
  const Params p(std::max(limit, 0));
  auto r = co_await c.query(
      "SELECT id FROM rooms WHERE deleted_at IS NOT NULL AND NOT purged ORDER BY id LIMIT $1", p);
  if (!r) co_return r.error();
  std::vector<RoomId> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->int64(i, 0));
  co_return out;
}

Task<Result<RoomPurge>> purgeRoom(PgConn& c, RoomId room, int limit) {
  {
    const Params p(room);
    auto r = co_await c.query("SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NOT NULL", p);
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return makeError(Code::not_found, "no deleted room with this id");
  }
  RoomPurge out;
  auto files = co_await takeRoomFiles(c, room, limit);
  if (!files) co_return files.error();
  out.files = std::move(*files);
  const int left = std::max(limit, 0) - static_cast<int>(out.files.size());
  if (left <= 0) co_return out;
  const Params p(room, left);
  auto events = co_await c.query(kDropEvents, p);  // reactions go with them (ON DELETE CASCADE)
  if (!events) co_return events.error();
  out.events = static_cast<int>(events->affected());
  if (out.events < left) {
    const Params q(room);
    auto purged = co_await c.query(kMarkPurged, q);
    if (!purged) co_return purged.error();
    out.done = true;
  }
  co_return out;
}

}  // namespace parley::postgres::ops
