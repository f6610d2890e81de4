// The nouns of Parley, as the service layer and the ports see them.
//
// Plain values with no behaviour. Times are milliseconds since the Unix epoch (UTC).
// Message bodies appear here only sealed (`sealed_body`); plaintext exists only in the
// service layer's memory and on the wire (DESIGN.md invariant 5).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

using UserId = std::int64_t;
using RoomId = std::int64_t;
using SessionId = std::int64_t;
using Seq = std::int64_t;
using Millis = std::int64_t;

inline constexpr Seq kSeqMax = std::numeric_limits<Seq>::max();

// The key under which usernames are unique: ASCII lower case, so "Alice" and "alice" are
// one account whatever the database's locale. Every Store adapter compares by this.
std::string usernameKey(std::string_view username);

struct User {
  UserId id = 0;
  std::string username;       // as registered; uniqueness is case-insensitive
  std::string password_hash;  // libsodium crypto_pwhash_str output (argon2id)
  Millis created_at = 0;
  bool disabled = false;
  bool admin = false;  // a server admin (a role in the Store; --admin NAME grants it too)
};

// What an account shows of itself besides its username (docs/api.md "Profiles"). Every
// field is "" until set; the service checks them (service/profile_fields.h) before the Store
// stores them. `display_key` is the display name folded for prefix search (ICU case folding),
// written by the service with the name.
struct Profile {
  UserId user_id = 0;
  std::string username;  // filled by the Store on reads
  std::string display_name;
  std::string display_key;
  std::string status_text;
  std::string status_emoji;
  std::string time_zone;  // an IANA zone name
  Millis updated_at = 0;  // 0: never set
  std::string avatar;     // the current avatar's id, "" for none (set by Store::setAvatar only)
};

// One square JPEG of an avatar, `size` pixels on each side.
struct AvatarImage {
  int size = 0;
  std::string jpeg;
};

// A logged-in device. The token itself is never stored: only its hash.
struct Session {
  SessionId id = 0;
  UserId user_id = 0;
  std::string token_hash;  // 32 raw bytes
  std::string device;
  std::string ip;
  Millis created_at = 0;
  Millis last_seen_at = 0;
};

enum class RoomKind { group, direct };
enum class Role { member, admin, owner };
// Who may do something a room's owners may restrict: every member, or its owners and
// admins only (a room setting: Room::room_mentions, Room::pins).
enum class WhoMay { all, admins };
// What a member wants to be told of in a room (docs/api.md "Notifications"): every
// message, mentions of them only, or nothing. Kept by the server for the member's clients.
enum class NotifyLevel { all, mentions, none };

std::string_view toString(RoomKind k) noexcept;
std::string_view toString(Role r) noexcept;
std::optional<Role> roleFromString(std::string_view s) noexcept;
std::string_view toString(WhoMay w) noexcept;
std::optional<WhoMay> whoMayFromString(std::string_view s) noexcept;
std::string_view toString(NotifyLevel l) noexcept;
std::optional<NotifyLevel> notifyLevelFromString(std::string_view s) noexcept;

struct Room {
  RoomId id = 0;
  RoomKind kind = RoomKind::group;
  std::string name;
  std::string topic;
  bool is_public = false;
  Seq last_seq = 0;  // highest seq assigned in this room; 0 when empty
  UserId created_by = 0;
  Millis created_at = 0;
  // Who may say @room and @here (a plain member's are no room mention when `admins`),
  // and who may pin and unpin messages. Direct rooms: every member may do both.
  WhoMay room_mentions = WhoMay::all;
  WhoMay pins = WhoMay::admins;
  // An archived room is read-only (docs/api.md "Room settings"); `post`: who may send.
  // Both are checked when a member writes, not by the Store.
  bool archived = false;
  WhoMay post = WhoMay::all;
};

struct Member {
  RoomId room_id = 0;
  UserId user_id = 0;
  std::string username;  // filled by the Store on reads
  Role role = Role::member;
  Seq last_read_seq = 0;
  Millis joined_at = 0;
  // Store::member() only: the room's last seq, read in the same statement as the membership
  // (0 from every other read). It moves on every send, edit and delete.
  Seq room_last_seq = 0;
  // The member's notification choice for this room, and whether they muted it.
  NotifyLevel notify = NotifyLevel::all;
  bool muted = false;
};

// Every entry of a room's timeline has a seq: messages, and the edits, deletes, reaction
// changes and pins of earlier messages (so a resuming client learns of a change it missed,
// in order). react/unreact: one user added or took back one emoji on the target;
// pin/unpin: one member pinned or unpinned the target; settings: an owner or admin changed
// the room's settings (its sealed body holds them as they are after the change, see
// service/room_settings.h).
enum class EventKind { message, edit, del, react, unreact, pin, unpin, settings };
std::string_view toString(EventKind k) noexcept;
std::optional<EventKind> eventKindFromString(std::string_view s) noexcept;

struct StoredEvent {
  RoomId room_id = 0;
  Seq seq = 0;
  std::string event_id;  // random, unique; bound into the seal's associated data
  EventKind kind = EventKind::message;
  UserId sender = 0;
  std::string client_msg_id;  // as sent by the client (messages); empty otherwise
  Seq reply_to = 0;           // message: the seq it replies to, 0 for none
  Seq target = 0;             // edit/del: the seq of the message changed
  Millis created_at = 0;
  Millis edited_at = 0;  // message: when last edited, 0 if never
  bool deleted = false;  // message: tombstone, body gone
  std::uint32_t key_version = 0;
  std::string sealed_body;  // nonce || ciphertext; empty for del and deleted messages
  // message: its reactions as the Store aggregated them (reactionsJson below), empty for
  // none; react/unreact: the target's reactions just after the change. Not sealed: emoji
  // come from a fixed allow-list (docs/security.md).
  std::string reactions;
  // message: the root of the thread it replies in (0: it is on the main timeline); delete:
  // the deleted message's root (0 when it was on the main timeline).
  Seq thread_root = 0;
  // A message with thread_root 0: its thread's summary as the Store keeps it (threadJson
  // below), empty while it has no live reply. An event with thread_root set: its root's
  // summary just after this event (empty when the root has no live reply left). Not sealed:
  // integers only.
  std::string thread;
  // message: the members its text (as edited) mentions with @username, ascending, resolved
  // by the Store in the transaction that stored the text (members at that moment only);
  // edit: those of the new text. Empty for every other kind and for a deleted message.
  // Not sealed: user ids only, as the sender is (docs/security.md).
  std::vector<UserId> mentions;
  bool mention_room = false;  // the text says @room (and the sender may say it)
  bool mention_here = false;  // the text says @here
};

// Mentioned ids as the Stores keep them in one text column: "4,7" (ascending, no spaces;
// "" for none). splitIds reads what joinIds wrote, skipping anything else.
std::string joinIds(const std::vector<UserId>& ids);
std::vector<UserId> splitIds(std::string_view text);
// The mention flags as one integer column: 1 @room, 2 @here.
inline constexpr int kMentionRoomFlag = 1;
inline constexpr int kMentionHereFlag = 2;
inline int mentionFlags(const StoredEvent& e) {
  return (e.mention_room ? kMentionRoomFlag : 0) | (e.mention_here ? kMentionHereFlag : 0);
}
inline void setMentionFlags(StoredEvent& e, std::int64_t flags) {
  e.mention_room = (flags & kMentionRoomFlag) != 0;
  e.mention_here = (flags & kMentionHereFlag) != 0;
}

// The reactions of one message, as one JSON array the Store writes and clients read:
// [{"emoji":"👍","count":2,"users":[4,7]}, ...] in order of each emoji's first reaction,
// `users` the first kReactionUsersShown to react with it. Emoji never need escaping (they
// come from the allow-list), so both Stores write the same bytes.
inline constexpr int kReactionUsersShown = 3;
struct ReactionCount {
  std::string emoji;
  std::int64_t count = 0;
  std::vector<UserId> first_users;
};
std::string reactionsJson(const std::vector<ReactionCount>& counts);

// A thread's summary, one JSON object the Store writes and clients read:
// {"reply_count":2,"last_reply_at":1700000000000,"participants":[7,4]}: the live (not
// deleted) replies, the newest one's created_at, and the first kThreadParticipantsShown
// distinct senders of live replies in the order of their first one. Empty for no reply.
inline constexpr int kThreadParticipantsShown = 5;
struct ThreadSummary {
  std::int64_t reply_count = 0;
  Millis last_reply_at = 0;
  std::vector<UserId> participants;
};
std::string threadJson(const ThreadSummary& t);

// A security-relevant event on an account: failed logins, lockouts, logins from a new
// device or network. Visible to the user and to admins.
struct AuditEvent {
  std::int64_t id = 0;
  UserId user_id = 0;  // 0 when the attempt named no existing account
  std::string kind;    // login, login_failed, login_locked, login_new_device, login_new_network
  std::string ip;
  std::string device;
  std::string detail;
  Millis at = 0;           // the first attempt this row stands for
  std::int64_t count = 1;  // attempts it stands for (repeated refusals share a row)
  Millis last_at = 0;      // the newest of them (the Store sets it to `at` for a new row)
  // The chain (service/audit_chain.h): hex of the keyed hash of the event before this one
  // ("" for the first) and of this one. Both "" for rows stored before the chain existed.
  // count and last_at are not covered: they grow after the row is written.
  std::string prev_hash;
  std::string hash;
};

// Where the audit chain starts after pruning: the newest pruned chained event (its id,
// time and hash) and a keyed MAC over them, so the start cannot be moved without the key.
struct AuditAnchor {
  std::int64_t through_id = 0;
  Millis through_at = 0;
  std::string hash;
  std::string mac;
};

// An uploaded file (an attachment). Its contents live in the BlobStore, sealed in chunks
// (crypto/chunked.h); its name is sealed here under the same room key, like a message body.
// Size, mime type and image dimensions are kept in the clear: the server needs them to
// serve ranges and pick headers.
struct FileRecord {
  std::string id;  // random, 22 characters of base64url; also names its blobs
  RoomId room_id = 0;
  UserId uploader = 0;
  std::string sealed_name;
  std::uint64_t size = 0;  // plaintext bytes
  std::string mime;        // detected from the bytes
  int image_width = 0;     // 0 when not an image the server could read
  int image_height = 0;
  std::uint64_t thumb_size = 0;  // plaintext bytes of the JPEG thumbnail; 0: none
  std::uint32_t key_version = 0;
  Millis created_at = 0;
  Seq message_seq = 0;  // the message it is attached to; 0 while unattached
};

// What one user's unattached uploads hold.
struct UploadUsage {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

// The wrapped (KeyProvider-encrypted) data key of a room, one per version.
struct RoomKeyRecord {
  RoomId room_id = 0;
  std::uint32_t version = 0;
  std::string wrapped;
};

}  // namespace parley
