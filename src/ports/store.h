// Store: the source of truth (DESIGN.md). Users, sessions, rooms, members, the
// per-room timeline and the wrapped room keys.
//
// Contract, for every adapter (SQLite, the embedded default; PostgreSQL, scaled out), both
// checked by the one contract suite in tests/unit/ports/store_contract.h:
// - Every method is a coroutine that may be awaited from any executor; the adapter does
//   its blocking work elsewhere and resumes the caller on the caller's executor.
//   Methods may be called concurrently from many coroutines.
// - "Not found" is `Code::not_found`, a uniqueness clash is `Code::conflict`; both are
//   values. A failing database is `Code::unavailable` (the caller may retry).
//   Nothing throws except std::bad_alloc.
// - `append` assigns the room's next seq inside the same transaction that stores the
//   event (invariant 2): seqs are gapless and strictly increasing per room, and the
//   event is durable when the coroutine returns (invariant 1).
// - `(room, sender, client_msg_id)` is unique for messages: appending a message whose
//   key exists returns the stored event with `duplicate = true` and changes nothing
//   (invariant 3).
// - The Store never sees plaintext message bodies: it stores what it is given.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "domain/types.h"

namespace parley {

template <class T>
using Task = boost::asio::awaitable<T>;

struct NewRoom {
  RoomKind kind = RoomKind::group;
  std::string name;
  std::string topic;
  bool is_public = false;
  UserId created_by = 0;
  Millis now = 0;
};

struct RoomSummary {
  Room room;
  Member me;
  // Main-timeline messages (not deleted, not mine, not thread replies) with seq >
  // me.last_read_seq; thread replies count in followedThreads instead.
  std::int64_t unread = 0;
  // Of those, the ones that mention me: by name, or with @room or @here.
  std::int64_t mentions = 0;
  // The newest main-timeline (thread_root 0) kind=message event, tombstones included.
  std::optional<StoredEvent> last_message;
};

// A row of the admins' account list (Store::searchUsers).
struct UserListing {
  User user;                  // password_hash left empty
  bool totp_enabled = false;  // a confirmed second factor (a pending one is not)
  Millis last_seen = 0;       // the latest last_seen of its sessions; 0: none
};

// A row of the admins' room list (Store::searchRooms): names and counts, never content.
struct RoomListing {
  Room room;
  std::int64_t member_count = 0;
  UserId owner_id = 0;       // the owner with the lowest id; 0: none (a direct room)
  std::string owner;         // their username
  Millis last_activity = 0;  // created_at of the newest timeline event; 0: none
};

struct AppendRequest {
  RoomId room_id = 0;
  EventKind kind = EventKind::message;
  std::string event_id;
  UserId sender = 0;
  std::string client_msg_id;  // required for kind=message
  Seq reply_to = 0;           // message only; must name an existing message seq (else bad_request)
  Seq target = 0;             // edit/del/react/unreact: the message changed
  Millis now = 0;
  std::uint32_t key_version = 0;
  std::string sealed_body;  // message/edit: the new event's sealed body
  // edit only: the target's new body, sealed under the *target's* event_id.
  std::string target_sealed_body;
  // message only: uploads to attach, atomically with the append. Each must be a file of
  // this room, uploaded by `sender`, not yet attached (else Code::invalid_file and nothing
  // is stored). A duplicate send returns the original without looking at these.
  std::vector<std::string> file_ids;
  // react/unreact: the emoji (already checked against the allow-list by the caller), and
  // how many distinct emoji a message may carry (react only).
  std::string emoji;
  int max_emoji = 20;
  // message only: reply in the thread of this message of the room (0: the main timeline).
  // A reply named here stands for its own root. The root must be a live message of the
  // room on the main timeline, else not_found ("no such thread root") and nothing is stored.
  Seq thread_root = 0;
  // message/edit: what the text mentions, parsed by the caller (service/mentions.h):
  // usernames as usernameKey has them (at most kMaxMentionNames), @room and @here. The
  // Store resolves the names inside the storing transaction to the room's members at that
  // moment (a name that is no member's is no mention) and stores the ids on the new event
  // and, for an edit, on its target in place of the old ones. The flags are kept unless
  // the room's room_mentions is `admins` and the sender is a plain member of a group room
  // (read in the same transaction): then both are dropped.
  std::vector<std::string> mention_names;
  bool mention_room = false;
  bool mention_here = false;
  // pin only: how many pinned messages a room may have.
  int max_pins = 50;
};

inline constexpr std::size_t kMaxMentionNames = 50;

// A change of a group room's settings (Store::changeRoomSettings): every setting as it is
// to be after the change (the caller merged what changes into the room it read), and the
// settings event that records it (its sealed body says the same, for the timeline).
struct SettingsChange {
  RoomId room_id = 0;
  std::string name;
  std::string topic;
  bool is_public = false;
  bool archived = false;
  WhoMay post = WhoMay::all;
  WhoMay room_mentions = WhoMay::all;
  WhoMay pins = WhoMay::admins;
  // The event: kind settings, sent by `sender`.
  std::string event_id;
  UserId sender = 0;
  Millis now = 0;
  std::uint32_t key_version = 0;
  std::string sealed_body;
};

struct SettingsChanged {
  Room room;          // after the change
  StoredEvent event;  // the settings event, at the room's next seq
};

// One pinned message (Store::pins).
struct Pin {
  StoredEvent message;  // as it is now (edits applied)
  UserId pinned_by = 0;
  Millis pinned_at = 0;
  Seq pin_seq = 0;  // the seq of the pin event
};

// The event an append stores at `seq`: what each kind keeps of the request (a message its
// client_msg_id and reply_to, an edit or delete its target; a delete no body; a message or
// edit its mention flags, the adapter adds the resolved ids). Every adapter stores and
// returns exactly this.
inline StoredEvent storedEventOf(const AppendRequest& r, Seq seq) {
  const bool is_message = r.kind == EventKind::message;
  const bool has_text = is_message || r.kind == EventKind::edit;
  return StoredEvent{.room_id = r.room_id,
                     .seq = seq,
                     .event_id = r.event_id,
                     .kind = r.kind,
                     .sender = r.sender,
                     .client_msg_id = is_message ? r.client_msg_id : std::string(),
                     .reply_to = is_message ? r.reply_to : 0,
                     .target = is_message ? 0 : r.target,
                     .created_at = r.now,
                     .key_version = r.key_version,
                     .sealed_body = r.kind == EventKind::del ? std::string() : r.sealed_body,
                     .reactions = {},
                     .thread_root = is_message ? r.thread_root : 0,
                     .thread = {},
                     .mentions = {},
                     .mention_room = has_text && r.mention_room,
                     .mention_here = has_text && r.mention_here};
}

// Whether an account has logged in before from a network, and with a device (login limits:
// docs/api.md "Login limits").
struct KnownLogin {
  bool network = false;
  bool device = false;
};

// How many networks, and how many devices, the Store keeps per account (by last use).
inline constexpr int kKnownLoginsPerAccount = 50;

// A sign-up invite (docs/api.md "Sign-up and invites"); the Store keeps only the hash of
// its code.
struct Invite {
  std::int64_t id = 0;
  std::string token_hash;
  UserId created_by = 0;  // 0: made by `parley admin create-invite`
  Millis created_at = 0;
  Millis expires_at = 0;
  int max_uses = 1;
  int uses = 0;
  RoomId room_id = 0;     // 0: none; else the room the new account joins
  Millis revoked_at = 0;  // 0: not revoked
};

struct InvitedUser {
  User user;
  RoomId room_id = 0;  // the invite's room (0: none)
};

// An account's TOTP second factor (service/two_factor.h): the secret sealed by the service
// (the Store never sees it in the clear), whether enrolment was confirmed, the last time
// step a code was accepted for (a code is never accepted twice), and the hashes of the
// unused recovery codes, concatenated (32 bytes each).
struct TotpRecord {
  std::string sealed_secret;
  bool enabled = false;
  std::int64_t last_step = 0;
  std::string recovery;
  Millis created_at = 0;
};

struct AppendResult {
  StoredEvent event;
  bool duplicate = false;
};

struct EventQuery {
  RoomId room_id = 0;
  Seq after = 0;         // exclusive lower bound
  Seq before = kSeqMax;  // exclusive upper bound
  int limit = 50;
  // true: the newest `limit` events in range; false: the oldest. Always returned ascending.
  bool newest_first = false;
  bool messages_only = false;  // only kind=message (with edits and deletes applied)
  // Only events with this thread_root: 0 is the main timeline, a seq one thread's replies
  // (and the deletes of its replies). nullopt: every event.
  std::optional<Seq> thread;
};

// A thread one user follows (Store::followedThreads).
struct FollowedThread {
  StoredEvent root;         // the root message, its `thread` summary included
  Seq last_read_seq = 0;    // the follower's marker in this thread
  std::int64_t unread = 0;  // live replies after the marker, not the follower's own
};

// One step of Store::purgeRoom.
struct RoomPurge {
  std::vector<FileRecord> files;  // rows removed; their blobs are the caller's to remove
  int events = 0;                 // events removed
  bool done = false;              // nothing of the room is left
};

// The keyed hash that links an audit row to the one before it (service/audit_chain.h):
// lowercase hex of a hash of `prev_hash` and the row's fields but id, count and last_at.
// Pure and thread-safe; the Store calls it inside its own transactions.
using AuditChain = std::function<std::string(std::string_view prev_hash, const AuditEvent& e)>;

// The event an anchor's MAC is computed over: chain(a.hash, auditAnchorEvent(a)).
inline AuditEvent auditAnchorEvent(const AuditAnchor& a) {
  AuditEvent e;
  e.kind = "audit_pruned";
  e.detail = std::to_string(a.through_id);
  e.at = a.through_at;
  return e;
}

// A filter of the audit trail (admin search). Empty strings and zeros match everything.
struct AuditQuery {
  std::string text;    // a substring of kind, device or detail (case-insensitive, ASCII)
  std::string kind;    // exact
  UserId user_id = 0;  // exact
  std::string ip;      // exact, or a prefix when it ends with '.' or ':'
  Millis since = 0;    // at >= since
  Millis until = 0;    // at < until (0: no bound)
  std::int64_t before_id = 0;
  int limit = 50;
};

// Store::findPeople: accounts whose username key (usernameKey) or display_key starts with
// `prefix`, not disabled, ascending by username key, after `after` (a username key,
// exclusive; "" from the start), at most `limit`. `shared_with` != 0: only accounts that are
// members of some room `shared_with` is a member of (itself included).
struct PeopleQuery {
  std::string prefix;
  std::string after;
  int limit = 20;
  UserId shared_with = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- users ---
  // conflict if the username is taken, compared case-insensitively (ASCII).
  virtual Task<Result<User>> createUser(std::string username, std::string password_hash,
                                        Millis now) = 0;
  virtual Task<Result<User>> userByName(std::string username) = 0;  // case-insensitive
  virtual Task<Result<User>> userById(UserId id) = 0;
  // not_found if there is no such user.
  virtual Task<Status> setUserDisabled(UserId id, bool disabled) = 0;

  // --- people: server admins, passwords, reset links ---
  // One page of accounts: ids above `after`, ascending, at most `limit`.
  virtual Task<Result<std::vector<User>>> usersPage(UserId after, int limit) = 0;
  // Grants or removes the server admin role; not_found if there is no such user.
  virtual Task<Status> setUserAdmin(UserId id, bool admin) = 0;
  // Removes the admin role from `id` unless it is the last enabled account holding it,
  // atomically (two admins removing each other at once cannot leave none): conflict then,
  // and nothing changes. not_found if there is no such user. Removing the role from an
  // account without it succeeds.
  virtual Task<Status> revokeAdminUnlessLast(UserId id) = 0;
  // One page of accounts whose username starts with `prefix` (compared case-insensitively;
  // "" matches all): ids above `after`, ascending, at most `limit`.
  virtual Task<Result<std::vector<UserListing>>> searchUsers(std::string prefix, UserId after,
                                                             int limit) = 0;
  // Makes `id` a server admin if it is the only account (the first of a fresh data dir);
  // returns whether it did. Two accounts created at once both see the other: neither is.
  virtual Task<Result<bool>> claimFirstAdmin(UserId id) = 0;
  // Replaces the account's password hash; not_found if there is no such user.
  virtual Task<Status> setPasswordHash(UserId id, std::string password_hash) = 0;
  // Stores a reset link's token hash for `user`, valid until `expires_at`, and forgets the
  // user's earlier unused ones (the newest link is the only one that works). not_found if
  // there is no such user.
  virtual Task<Status> createPasswordReset(UserId user, std::string token_hash, Millis now,
                                           Millis expires_at) = 0;
  // Spends a reset link: if `token_hash` names one that is unused and not expired at `now`,
  // marks it used and sets its account's password hash to `password_hash`, atomically (so a
  // link works once, also across nodes), and returns the account. not_found otherwise
  // (unknown, used and expired links are told apart by nobody), and nothing changes.
  virtual Task<Result<UserId>> usePasswordReset(std::string token_hash, Millis now,
                                                std::string password_hash) = 0;

  // --- profiles (docs/api.md "Profiles") ---
  // The account's profile, its username filled in (fields never set are ""). not_found if
  // there is no such user.
  virtual Task<Result<Profile>> profileOf(UserId id) = 0;
  // Replaces every editable field of `p.user_id`'s profile (display_name, display_key,
  // status_text, status_emoji, time_zone, updated_at) with those of `p`; the caller checked
  // them. not_found if there is no such user. The avatar is not touched (setAvatar).
  virtual Task<Status> putProfile(Profile p) = 0;
  // Makes `avatar_id` (with its `images`) `user`'s avatar, replacing any before, and sets
  // the profile's updated_at to `now`, atomically; an empty id (and no images) removes the
  // avatar. not_found if there is no such user.
  virtual Task<Status> setAvatar(UserId user, std::string avatar_id,
                                 std::vector<AvatarImage> images, Millis now) = 0;
  // The current avatar's image of `size`; not_found if there is none.
  virtual Task<Result<std::string>> avatarImage(UserId user, int size) = 0;
  // Whether some room has both `a` and `b` as members now.
  virtual Task<Result<bool>> shareRoom(UserId a, UserId b) = 0;
  // See PeopleQuery. Each match's profile. A scan bounded by `limit` matches, not by the
  // number of accounts (docs/operations.md "Finding people").
  virtual Task<Result<std::vector<Profile>>> findPeople(PeopleQuery q) = 0;

  // --- sign-up invites ---
  // Stores `i` (its id is filled in and returned); conflict if the token hash exists.
  virtual Task<Result<Invite>> createInvite(Invite i) = 0;
  // The newest `limit` invites, newest first (revoked, expired and used-up ones too).
  virtual Task<Result<std::vector<Invite>>> invites(int limit) = 0;
  // not_found unless `id` names an invite not yet revoked.
  virtual Task<Status> revokeInvite(std::int64_t id, Millis now) = 0;
  // Creates the account and spends one use of the invite whose code hashes to `token_hash`,
  // atomically (also across nodes: two sign-ups for the last use cannot both succeed).
  // not_found if that invite is unknown, revoked, expired at `now` or used up: nothing is
  // created. conflict if the username is taken: nothing is spent.
  virtual Task<Result<InvitedUser>> createInvitedUser(std::string token_hash, std::string username,
                                                      std::string password_hash, Millis now) = 0;

  // --- two-factor (TOTP) ---
  // Stores a pending (not yet confirmed) secret for `user`, replacing a pending one;
  // conflict if the account has a confirmed one; not_found if no such user.
  virtual Task<Status> putPendingTotp(UserId user, std::string sealed_secret, Millis now) = 0;
  // not_found if the account has none (pending or confirmed).
  virtual Task<Result<TotpRecord>> totpOf(UserId user) = 0;
  // Confirms a pending secret, with the step of the code that confirmed it and the recovery
  // code hashes; conflict unless one is pending.
  virtual Task<Status> enableTotp(UserId user, std::int64_t step, std::string recovery) = 0;
  // Records that a code of `step` was accepted, if `step` is after the last one accepted;
  // conflict otherwise (a replay, also across nodes), or if none is confirmed.
  virtual Task<Status> useTotpStep(UserId user, std::int64_t step) = 0;
  // Replaces the recovery code hashes if they are still `expected` (one code spent);
  // conflict otherwise.
  virtual Task<Status> replaceRecovery(UserId user, std::string expected, std::string next) = 0;
  // Removes the account's second factor; not_found if it has none.
  virtual Task<Status> deleteTotp(UserId user) = 0;

  // --- sessions ---
  // Returns the session with its id filled in.
  virtual Task<Result<Session>> createSession(Session s) = 0;
  virtual Task<Result<Session>> sessionByTokenHash(std::string token_hash) = 0;
  virtual Task<Status> touchSession(SessionId id, Millis now, std::string ip) = 0;
  virtual Task<Result<std::vector<Session>>> sessionsOf(UserId user) = 0;
  // not_found unless the session exists and belongs to `user`.
  virtual Task<Status> deleteSession(UserId user, SessionId id) = 0;

  // --- rooms and members ---
  // Creates the room and the creator as owner, atomically. Room keys are added later
  // with putRoomKey (the wrap binds the room id, unknown before creation).
  virtual Task<Result<Room>> createRoom(NewRoom r) = 0;
  // The direct room of the pair {a, b} (a != b), created with both as members if absent.
  // The same pair always yields the same room, whatever the order of a and b.
  virtual Task<Result<Room>> directRoom(UserId a, UserId b, Millis now) = 0;
  virtual Task<Result<Room>> roomById(RoomId id) = 0;
  virtual Task<Result<std::vector<Room>>> publicRooms(int limit) = 0;
  // One page of the rooms not deleted whose name starts with `prefix` (case-insensitively;
  // "" matches all), of either kind and either visibility: ids above `after`, ascending, at
  // most `limit`.
  virtual Task<Result<std::vector<RoomListing>>> searchRooms(std::string prefix, RoomId after,
                                                             int limit) = 0;
  virtual Task<Result<std::vector<RoomSummary>>> roomsOf(UserId user) = 0;

  // not_found if `user` is not a member of `room`. Also reports the room's last seq as read
  // by the same statement (Member::room_last_seq): history reads use it as the version of
  // the room's timeline.
  virtual Task<Result<Member>> member(RoomId room, UserId user) = 0;
  virtual Task<Result<std::vector<Member>>> members(RoomId room) = 0;
  // One page of a room's members: those with user_id > `after`, ascending by user_id, at
  // most `limit` (an empty page for a room that does not exist).
  virtual Task<Result<std::vector<Member>>> membersPage(RoomId room, UserId after, int limit) = 0;
  // How many members the room has, kept up to date with every membership change in the
  // same transaction (so reading it costs one row, whatever the room's size). not_found if
  // there is no such room.
  virtual Task<Result<std::int64_t>> memberCount(RoomId room) = 0;
  // conflict if already a member.
  virtual Task<Result<Member>> addMember(RoomId room, UserId user, Role role, Millis now) = 0;
  // A group room that has members has an owner: both refuse, with conflict, a change that
  // would leave one without (its last owner leaving while others stay, or stepping down),
  // checked in the transaction that makes the change, so two owners leaving at once cannot
  // both go. The last member may leave whatever their role. not_found if not a member.
  virtual Task<Status> removeMember(RoomId room, UserId user) = 0;
  virtual Task<Status> setRole(RoomId room, UserId user, Role role) = 0;
  // Moves the marker forward only; returns the marker after the call.
  virtual Task<Result<Seq>> setReadMarker(RoomId room, UserId user, Seq seq) = 0;
  // Users who share with `user` a direct room, or a group room of at most
  // `max_group_members` members (excluding `user`), ascending. Rooms above the bound are
  // skipped without reading their members, so the cost is bounded by the small rooms.
  virtual Task<Result<std::vector<UserId>>> coMembers(UserId user,
                                                      std::int64_t max_group_members) = 0;

  // --- timeline ---
  // message: its sender must be a member of the room when the transaction runs (invariant
  // 6, checked inside the storing transaction, before the retry lookup): else not_member
  // if the room is public, not_found if it is not or does not exist; nothing is stored.
  // edit: not_found if target is not a live message; forbidden if target.sender != sender.
  // del: the same checks; the target's body is erased (tombstone) and its files' rows are
  // deleted in the same transaction (the caller removes their blobs afterwards), and its
  // mentions cleared. message/edit: the mentions are resolved (AppendRequest::mention_names).
  // react/unreact: the sender must be a member (not_member if the room is public, else
  // not_found, as for a message); not_found if target is not a live message. react: conflict
  // if the target already has max_emoji distinct emoji and this is a new one. The reaction
  // (target, sender, emoji) is added or taken back, the target's `reactions` aggregate is
  // rewritten, and the new event carries that aggregate. A change that changes nothing
  // (adding a reaction already there, taking back one that is not) stores nothing and
  // returns `duplicate = true` with the target message as `event`.
  // pin/unpin: the sender must be a member (errors as for a message); forbidden if the
  // room's `pins` is `admins`, the room is a group room and the sender a plain member;
  // not_found if target is not a live message of the room; pin: conflict if the room has
  // max_pins pinned messages already. Pinning a pinned message or unpinning one that is not
  // stores nothing and returns `duplicate = true` with the target as `event`. A delete
  // unpins its target in its own transaction (the delete event says so; no unpin event).
  virtual Task<Result<AppendResult>> append(AppendRequest r) = 0;
  virtual Task<Result<StoredEvent>> eventAt(RoomId room, Seq seq) = 0;
  virtual Task<Result<std::vector<StoredEvent>>> events(EventQuery q) = 0;
  // The reactions `user` has on messages of `room` with from <= seq <= to, ascending by seq
  // (at most 20 per message, so bounded by the range).
  virtual Task<Result<std::vector<std::pair<Seq, std::string>>>> reactionsBy(RoomId room,
                                                                             UserId user, Seq from,
                                                                             Seq to) = 0;

  // The room's pinned messages, the most recently pinned first (at most max_pins).
  virtual Task<Result<std::vector<Pin>>> pins(RoomId room) = 0;

  // --- room settings and notification levels ---
  // Sets every setting of `c.room_id` to `c`'s and appends the settings event at the room's
  // next seq, in one transaction (so the room row is always what its newest settings event
  // says). not_found if there is no such room (or it is deleted); forbidden for a direct
  // room. Permissions are the caller's to check.
  virtual Task<Result<SettingsChanged>> changeRoomSettings(SettingsChange c) = 0;
  // Sets `user`'s notification level and mute in `room`; not_found if not a member.
  virtual Task<Status> setNotifications(RoomId room, UserId user, NotifyLevel level,
                                        bool muted) = 0;

  // --- threads ---
  // A reply (append of a message with thread_root) stores the root's new summary on the
  // root row and on the reply's row, and makes its sender follow the thread (marker at the
  // reply) and the root's sender follow it unless they chose not to; a delete of a reply
  // stores the root's new summary on the root and on the delete event (which carries the
  // root as its thread_root). All in the transaction that stores the event.
  //
  // Follows (follow = true) or stops following the thread of `root`, a message of `room` on
  // the main timeline (deleted or not); not_found otherwise. Membership is the caller's to
  // check. Following again keeps the marker.
  virtual Task<Status> setThreadFollow(RoomId room, Seq root, UserId user, bool follow,
                                       Millis now) = 0;
  // Moves `user`'s marker in the thread forward to `seq` if they have a follow row (followed
  // or unfollowed); returns the marker after the call (0 when there is no row).
  virtual Task<Result<Seq>> markThreadRead(RoomId room, Seq root, UserId user, Seq seq) = 0;
  // The threads `user` follows in rooms they are a member of now, the most recent reply
  // first, at most `limit`.
  virtual Task<Result<std::vector<FollowedThread>>> followedThreads(UserId user, int limit) = 0;

  // --- keys ---
  virtual Task<Result<RoomKeyRecord>> roomKey(RoomId room, std::uint32_t version) = 0;
  virtual Task<Result<RoomKeyRecord>> latestRoomKey(RoomId room) = 0;  // not_found if none
  // conflict if (room, version) exists already (another node won the race: re-read).
  virtual Task<Status> putRoomKey(RoomKeyRecord k) = 0;
  // Stored room keys in (room, version) order, after (room, version), at most `limit`: for
  // walking every key in pages (parley keys rewrap), resumable from the last one seen.
  virtual Task<Result<std::vector<RoomKeyRecord>>> roomKeysAfter(RoomId room, std::uint32_t version,
                                                                 int limit) = 0;
  // Replaces the blob of (k.room_id, k.version) with k.wrapped if it is still `expected`:
  // the same data key re-wrapped under a newer master key version. conflict if the stored
  // blob is not `expected` (or the key is gone): re-read it.
  virtual Task<Status> rewrapRoomKey(RoomKeyRecord k, std::string expected) = 0;

  // --- deleting rooms (crypto-shredding, docs/security.md) ---
  // Deletes `room` in one transaction: its members and every version of its wrapped keys
  // go at once; the room row stays as a tombstone (private, nameless, its direct pair
  // freed, its id never reused; roomById answers not_found) until purgeRoom has removed
  // the rest. Returns the users who were members. not_found if there is no such room or it
  // is deleted already.
  virtual Task<Result<std::vector<UserId>>> deleteRoom(RoomId room, Millis now) = 0;
  // Deleted rooms whose rows are not all removed yet, ascending by id, at most `limit`.
  virtual Task<Result<std::vector<RoomId>>> roomsToPurge(int limit) = 0;
  // One step of removing a deleted room's rows: up to `limit` files' rows (returned: the
  // caller removes their blobs), else up to `limit` events with their reactions; `done`
  // once nothing is left (the room leaves roomsToPurge). not_found unless `room` is deleted.
  virtual Task<Result<RoomPurge>> purgeRoom(RoomId room, int limit) = 0;

  // --- files (attachments) ---
  // conflict if a file with this id exists; not_found if the room or uploader does not.
  virtual Task<Status> createFile(FileRecord f) = 0;
  virtual Task<Result<FileRecord>> fileById(std::string id) = 0;  // not_found if none
  // The files attached to message `seq` of `room` (none for a deleted message).
  virtual Task<Result<std::vector<FileRecord>>> filesOfMessage(RoomId room, Seq seq) = 0;
  // Unattached files created before `before`, oldest first, at most `limit`.
  virtual Task<Result<std::vector<FileRecord>>> unattachedFiles(Millis before, int limit) = 0;
  // Deletes the file's row if it is still unattached; not_found if it is gone or attached.
  virtual Task<Status> deleteUnattachedFile(std::string id) = 0;
  // How many unattached files `uploader` has, and their plaintext bytes (the record the
  // upload quotas are checked against; zeros for a user with none).
  virtual Task<Result<UploadUsage>> unattachedUsage(UserId uploader) = 0;

  // --- where each account logs in from ---
  // Its own record, not a window of the audit trail, so no number of refused attempts can
  // make an account's usual network unknown. Records a successful login of `user` from
  // `network` with `device` at `now`: both become known, last used `now` (never moved
  // back). Keeps the newest kKnownLoginsPerAccount networks and devices of the account by
  // last use, forgetting older ones. Deleting the user deletes them.
  virtual Task<Status> rememberLogin(UserId user, std::string network, std::string device,
                                     Millis now) = 0;
  // Whether `user` has a kept login from `network`, and one with `device`.
  virtual Task<Result<KnownLogin>> knownLogin(UserId user, std::string network,
                                              std::string device) = 0;

  // --- secrets shared by every node ---
  // A secret of the deployment (e.g. the key that binds cached sessions to their tokens),
  // stored only as wrapped by the KeyProvider: the Store never sees it in the clear.
  // not_found if `name` has none yet.
  virtual Task<Result<std::string>> wrappedSecret(std::string name) = 0;
  // Stores the first wrapped secret of `name`; conflict if it has one (another node won
  // the race: read that one). A stored secret is never replaced, only re-wrapped.
  virtual Task<Status> putWrappedSecret(std::string name, std::string wrapped) = 0;
  // Replaces the wrapped form of `name` if it is still `expected` (the same secret re-wrapped:
  // parley keys rewrap); conflict otherwise.
  virtual Task<Status> rewrapSecret(std::string name, std::string wrapped,
                                    std::string expected) = 0;

  // --- audit ---
  // The audit trail is a hash chain: each new row stores the hash of the row before it (by
  // id) and its own, chain(prev_hash, row), computed inside the transaction that appends
  // it while every other append waits (on every node), so the chain never forks. The
  // composition root sets `chain` once, before the first audit write; until then rows are
  // stored unchained (hash "") and `parley audit verify` reports them.
  virtual void setAuditChain(AuditChain chain) = 0;
  // Stores `e` as a new row (count 1, last_at = at), chained.
  virtual Task<Status> recordAudit(AuditEvent e) = 0;
  // Records `e` counted with its repeats: if `e.user_id` has a row stored by countAudit
  // under the same `key` in the same window (e.at / window_ms), that row counts one more
  // (count + 1, last_at = max(last_at, e.at)) and keeps its own at, ip, device and detail;
  // else `e` is stored as a new row (count 1), chained. Atomic, also across nodes: a flood
  // of one refusal costs one row per key and window, however fast and from wherever it comes.
  virtual Task<Status> countAudit(AuditEvent e, std::string key, Millis window_ms) = 0;
  // Newest first, at most `limit`; user 0 means every user's.
  virtual Task<Result<std::vector<AuditEvent>>> auditEvents(UserId user, int limit) = 0;
  // Rows matching `q` (every set field), newest first (by id), ids below q.before_id
  // (0: no bound), at most q.limit.
  virtual Task<Result<std::vector<AuditEvent>>> searchAudit(AuditQuery q) = 0;
  // Every row in id order after `after_id`, at most `limit`, with its chain hashes (for
  // walking the chain in pages).
  virtual Task<Result<std::vector<AuditEvent>>> auditChainAfter(std::int64_t after_id,
                                                                int limit) = 0;
  // Deletes at most `limit` of the oldest rows (by id) whose `at` is before `before`,
  // stopping at the first row that is not: the chain stays whole. Returns how many it
  // deleted (fewer than `limit`: none older is left). When a deleted row was chained, the
  // same transaction moves the anchor to the newest one deleted (mac: chain(its hash,
  // {kind "audit_pruned", detail its id, at its at})).
  virtual Task<Result<std::int64_t>> pruneAudit(Millis before, int limit) = 0;
  // The anchor the last pruning left; not_found if no chained row was ever pruned.
  virtual Task<Result<AuditAnchor>> auditAnchor() = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace parley
