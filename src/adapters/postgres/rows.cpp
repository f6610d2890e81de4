#include "adapters/postgres/rows.h"

namespace parley::postgres {

Room readRoom(const PgResult& r, int row, int c) {
  return Room{.id = r.int64(row, c),
              .kind = r.text(row, c + 1) == "direct" ? RoomKind::direct : RoomKind::group,
              .name = r.text(row, c + 2),
              .topic = r.text(row, c + 3),
              .is_public = r.boolean(row, c + 4),
              .last_seq = r.int64(row, c + 5),
              .created_by = r.int64(row, c + 6),
              .created_at = r.int64(row, c + 7),
              .room_mentions = whoMayFromString(r.text(row, c + 8)).value_or(WhoMay::all),
              .pins = whoMayFromString(r.text(row, c + 9)).value_or(WhoMay::admins),
              .archived = r.boolean(row, c + 10),
              .post = whoMayFromString(r.text(row, c + 11)).value_or(WhoMay::all)};
}

Member readMember(const PgResult& r, int row, int c) {
  // The CHECK constraint on members.role admits only names roleFromString knows.
  return Member{.room_id = r.int64(row, c),
                .user_id = r.int64(row, c + 1),
                .username = r.text(row, c + 2),
                .role = roleFromString(r.text(row, c + 3)).value_or(Role::member),
                .last_read_seq = r.int64(row, c + 4),
                .joined_at = r.int64(row, c + 5),
                .room_last_seq = 0,
                .notify = notifyLevelFromString(r.text(row, c + 6)).value_or(NotifyLevel::all),
                .muted = r.boolean(row, c + 7)};
}

StoredEvent readEvent(const PgResult& r, int row, int c) {
  // Likewise events.kind.
  const std::int64_t flags = r.int64(row, c + 17);
  return StoredEvent{.room_id = r.int64(row, c),
                     .seq = r.int64(row, c + 1),
                     .event_id = r.text(row, c + 2),
                     .kind = eventKindFromString(r.text(row, c + 3)).value_or(EventKind::message),
                     .sender = r.int64(row, c + 4),
                     .client_msg_id = r.text(row, c + 5),
                     .reply_to = r.int64(row, c + 6),
                     .target = r.int64(row, c + 7),
                     .created_at = r.int64(row, c + 8),
                     .edited_at = r.int64(row, c + 9),
                     .deleted = r.boolean(row, c + 10),
                     .key_version = static_cast<std::uint32_t>(r.int64(row, c + 11)),
                     .sealed_body = r.text(row, c + 12),
                     .reactions = r.text(row, c + 13),
                     .thread_root = r.int64(row, c + 14),
                     .thread = r.text(row, c + 15),
                     .mentions = splitIds(r.text(row, c + 16)),
                     .mention_room = (flags & kMentionRoomFlag) != 0,
                     .mention_here = (flags & kMentionHereFlag) != 0};
}

}  // namespace parley::postgres
