#include "adapters/sqlite/rows.h"

namespace parley::sqlite {

Room readRoom(const Stmt& st, int c) {
  return Room{.id = st.int64(c),
              .kind = st.text(c + 1) == "direct" ? RoomKind::direct : RoomKind::group,
              .name = st.text(c + 2),
              .topic = st.text(c + 3),
              .is_public = st.boolean(c + 4),
              .last_seq = st.int64(c + 5),
              .created_by = st.int64(c + 6),
              .created_at = st.int64(c + 7),
              .room_mentions = whoMayFromString(st.text(c + 8)).value_or(WhoMay::all),
              .pins = whoMayFromString(st.text(c + 9)).value_or(WhoMay::admins),
              .archived = st.boolean(c + 10),
              .post = whoMayFromString(st.text(c + 11)).value_or(WhoMay::all)};
}

Member readMember(const Stmt& st, int c) {
  // The CHECK constraint on members.role admits only names roleFromString knows.
  return Member{.room_id = st.int64(c),
                .user_id = st.int64(c + 1),
                .username = st.text(c + 2),
                .role = roleFromString(st.text(c + 3)).value_or(Role::member),
                .last_read_seq = st.int64(c + 4),
                .joined_at = st.int64(c + 5),
                .room_last_seq = 0,
                .notify = notifyLevelFromString(st.text(c + 6)).value_or(NotifyLevel::all),
                .muted = st.boolean(c + 7)};
}

StoredEvent readEvent(const Stmt& st) {
  const std::int64_t flags = st.int64(17);
  return StoredEvent{.room_id = st.int64(0),
                     .seq = st.int64(1),
                     .event_id = st.text(2),
                     .kind = eventKindFromString(st.text(3)).value_or(EventKind::message),
                     .sender = st.int64(4),
                     .client_msg_id = st.text(5),
                     .reply_to = st.int64(6),
                     .target = st.int64(7),
                     .created_at = st.int64(8),
                     .edited_at = st.int64(9),
                     .deleted = st.boolean(10),
                     .key_version = static_cast<std::uint32_t>(st.int64(11)),
                     .sealed_body = st.blob(12),
                     .reactions = st.text(13),
                     .thread_root = st.int64(14),
                     .thread = st.text(15),
                     .mentions = splitIds(st.text(16)),
                     .mention_room = (flags & kMentionRoomFlag) != 0,
                     .mention_here = (flags & kMentionHereFlag) != 0};
}

}  // namespace parley::sqlite
