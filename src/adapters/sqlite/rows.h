// Column lists and row readers shared by the ops files.
#pragma once

#include "adapters/sqlite/db.h"
#include "domain/types.h"

namespace parley::sqlite {

// Selects a Room from `rooms` aliased `r`.
inline constexpr const char* kRoomColumns =
    "r.id, r.kind, r.name, r.topic, r.is_public, r.last_seq, r.created_by, r.created_at, "
    "r.room_mentions, r.pins, r.archived, r.post";
inline constexpr int kRoomColumnCount = 12;

// Selects a Member from `members m JOIN users u ON u.id = m.user_id`.
inline constexpr const char* kMemberColumns =
    "m.room_id, m.user_id, u.username, m.role, m.last_read_seq, m.joined_at, m.notify, m.muted";
inline constexpr int kMemberColumnCount = 8;

inline constexpr const char* kEventColumns =
    "room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target, created_at, "
    "edited_at, deleted, key_version, sealed_body, reactions, thread_root, thread, mentions, "
    "mention_flags";
inline constexpr int kEventColumnCount = 18;

Room readRoom(const Stmt& st, int first = 0);
Member readMember(const Stmt& st, int first = 0);
StoredEvent readEvent(const Stmt& st);

}  // namespace parley::sqlite
