// Column lists and row readers shared by the ops files.
#pragma once

#include "adapters/postgres/pg_values.h"
#include "domain/types.h"

namespace parley::postgres {

// Selects a Room from `rooms` aliased `r`.
inline constexpr const char* kRoomColumns =
    "r.id, r.kind, r.name, r.topic, r.is_public, r.last_seq, r.created_by, r.created_at, "
    "r.room_mentions, r.pins, r.archived, r.post";
inline constexpr int kRoomColumnCount = 12;

// Selects a Member from `members m JOIN users u ON u.id = m.user_id`.
inline constexpr const char* kMemberColumns =
    "m.room_id, m.user_id, u.username, m.role, m.last_read_seq, m.joined_at, m.notify, m.muted";
inline constexpr int kMemberColumnCount = 8;

// Selects a StoredEvent from `events` aliased `e`.
inline constexpr const char* kEventColumns =
    "e.room_id, e.seq, e.event_id, e.kind, e.sender, e.client_msg_id, e.reply_to, e.target, "
    "e.created_at, e.edited_at, e.deleted, e.key_version, e.sealed_body, e.reactions, "
    "e.thread_root, e.thread, e.mentions, e.mention_flags";
inline constexpr int kEventColumnCount = 18;

Room readRoom(const PgResult& r, int row, int first = 0);
Member readMember(const PgResult& r, int row, int first = 0);
StoredEvent readEvent(const PgResult& r, int row, int first = 0);

}  // namespace parley::postgres
