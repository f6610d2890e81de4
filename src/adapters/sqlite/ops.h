// The SQL behind each Store method: one function per method, run on a worker thread's
// connection (writes inside the writer's transaction and savepoint, reads inside a read
// transaction). Database failures throw SqliteError (see db.h); outcomes are values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/db.h"
#include "domain/types.h"
#include "ports/store.h"

namespace parley::sqlite::ops {

// accounts.cpp
Result<User> createUser(Db& db, const std::string& username, const std::string& password_hash,
                        Millis now);
Result<User> userByName(Db& db, const std::string& username);
Result<User> userById(Db& db, UserId id);
Status setUserDisabled(Db& db, UserId id, bool disabled);
Result<Session> createSession(Db& db, const Session& s);
Result<Session> sessionByTokenHash(Db& db, const std::string& token_hash);
Status touchSession(Db& db, SessionId id, Millis now, const std::string& ip);
Result<std::vector<Session>> sessionsOf(Db& db, UserId user);
Status deleteSession(Db& db, UserId user, SessionId id);
// The columns readUser reads, followed by a space (for a WHERE or ORDER BY).
extern const char* const kUserSelect;
User readUser(const Stmt& st);

// people.cpp
Result<std::vector<User>> usersPage(Db& db, UserId after, int limit);
Status setUserAdmin(Db& db, UserId id, bool admin);
Status revokeAdminUnlessLast(Db& db, UserId id);
Result<std::vector<UserListing>> searchUsers(Db& db, const std::string& prefix, UserId after,
                                             int limit);
// A LIKE pattern (ESCAPE '\\') matching what starts with `prefix`, ASCII letters lowered.
std::string likePrefix(std::string_view prefix);
Result<bool> claimFirstAdmin(Db& db, UserId id);
Status setPasswordHash(Db& db, UserId id, const std::string& password_hash);
Status createPasswordReset(Db& db, UserId user, const std::string& token_hash, Millis now,
                           Millis expires_at);
Result<UserId> usePasswordReset(Db& db, const std::string& token_hash, Millis now,
                                const std::string& password_hash);

// profiles.cpp
Result<Profile> profileOf(Db& db, UserId id);
Status putProfile(Db& db, const Profile& p);
Status setAvatar(Db& db, UserId user, const std::string& avatar_id,
                 const std::vector<AvatarImage>& images, Millis now);
Result<std::string> avatarImage(Db& db, UserId user, int size);
Result<bool> shareRoom(Db& db, UserId a, UserId b);
Result<std::vector<Profile>> findPeople(Db& db, const PeopleQuery& q);

// signup.cpp
Result<Invite> createInvite(Db& db, const Invite& i);
Result<std::vector<Invite>> invites(Db& db, int limit);
Status revokeInvite(Db& db, std::int64_t id, Millis now);
Result<InvitedUser> createInvitedUser(Db& db, const std::string& token_hash,
                                      const std::string& username, const std::string& password_hash,
                                      Millis now);
Status putPendingTotp(Db& db, UserId user, const std::string& sealed, Millis now);
Result<TotpRecord> totpOf(Db& db, UserId user);
Status enableTotp(Db& db, UserId user, std::int64_t step, const std::string& recovery);
Status useTotpStep(Db& db, UserId user, std::int64_t step);
Status replaceRecovery(Db& db, UserId user, const std::string& expected, const std::string& next);
Status deleteTotp(Db& db, UserId user);

// rooms.cpp
Result<Room> createRoom(Db& db, const NewRoom& r);
Result<Room> directRoom(Db& db, UserId a, UserId b, Millis now);
Result<Room> roomById(Db& db, RoomId id);
Result<std::vector<Room>> publicRooms(Db& db, int limit);
Result<std::vector<RoomListing>> searchRooms(Db& db, const std::string& prefix, RoomId after,
                                             int limit);
Result<std::vector<RoomSummary>> roomsOf(Db& db, UserId user);
Result<RoomKeyRecord> roomKey(Db& db, RoomId room, std::uint32_t version);
Result<RoomKeyRecord> latestRoomKey(Db& db, RoomId room);
Status putRoomKey(Db& db, const RoomKeyRecord& k);
std::vector<RoomKeyRecord> roomKeysAfter(Db& db, RoomId room, std::uint32_t version, int limit);
Status rewrapRoomKey(Db& db, const RoomKeyRecord& k, const std::string& expected);

// room_purge.cpp (deleted rooms; files.cpp: takeRoomFiles removes and returns file rows)
Result<std::vector<UserId>> deleteRoom(Db& db, RoomId room, Millis now);
std::vector<RoomId> roomsToPurge(Db& db, int limit);
Result<RoomPurge> purgeRoom(Db& db, RoomId room, int limit);
std::vector<FileRecord> takeRoomFiles(Db& db, RoomId room, int limit);

// members.cpp
Result<Member> member(Db& db, RoomId room, UserId user);
Result<std::vector<Member>> members(Db& db, RoomId room);
Result<Member> addMember(Db& db, RoomId room, UserId user, Role role, Millis now);
Status removeMember(Db& db, RoomId room, UserId user);
Status setRole(Db& db, RoomId room, UserId user, Role role);
Result<Seq> setReadMarker(Db& db, RoomId room, UserId user, Seq seq);
Result<std::vector<Member>> membersPage(Db& db, RoomId room, UserId after, int limit);
Result<std::int64_t> memberCount(Db& db, RoomId room);
Result<std::vector<UserId>> coMembers(Db& db, UserId user, std::int64_t max_group);
// Adds without checks (the caller knows the room is new).
void insertMember(Db& db, RoomId room, UserId user, Role role, Millis now);

// known_logins.cpp
Status rememberLogin(Db& db, UserId user, const std::string& network, const std::string& device,
                     Millis now);
Result<KnownLogin> knownLogin(Db& db, UserId user, const std::string& network,
                              const std::string& device);

// secrets.cpp
Result<std::string> wrappedSecret(Db& db, const std::string& name);
Status putWrappedSecret(Db& db, const std::string& name, const std::string& wrapped);
Status rewrapSecret(Db& db, const std::string& name, const std::string& wrapped,
                    const std::string& expected);

// audit.cpp
Status recordAudit(Db& db, const AuditEvent& e, const AuditChain& chain);
Status countAudit(Db& db, const AuditEvent& e, const std::string& key, Millis window_ms,
                  const AuditChain& chain);
Result<std::vector<AuditEvent>> auditEvents(Db& db, UserId user, int limit);
Result<std::vector<AuditEvent>> searchAudit(Db& db, const AuditQuery& q);
Result<std::vector<AuditEvent>> auditChainAfter(Db& db, std::int64_t after_id, int limit);
Result<std::int64_t> pruneAudit(Db& db, Millis before, int limit, const AuditChain& chain);
Result<AuditAnchor> auditAnchor(Db& db);

// files.cpp
Status createFile(Db& db, const FileRecord& f);
Result<FileRecord> fileById(Db& db, const std::string& id);
Result<std::vector<FileRecord>> filesOfMessage(Db& db, RoomId room, Seq seq);
Result<std::vector<FileRecord>> unattachedFiles(Db& db, Millis before, int limit);
Result<UploadUsage> unattachedUsage(Db& db, UserId uploader);
Status deleteUnattachedFile(Db& db, const std::string& id);
// Inside an append: checks that every id is an unattached upload of `sender` in `room`
// (Code::invalid_file otherwise), then attaches them all to `seq`.
Status attachFiles(Db& db, RoomId room, UserId sender, const std::vector<std::string>& ids,
                   Seq seq);
// Inside a delete: drops the rows of the files attached to message `seq`.
void deleteFilesOf(Db& db, RoomId room, Seq seq);

// timeline.cpp
Result<AppendResult> append(Db& db, const AppendRequest& r);
Result<StoredEvent> eventAt(Db& db, RoomId room, Seq seq);
Result<std::vector<StoredEvent>> events(Db& db, const EventQuery& q);
// The newest main-timeline kind=message event of the room, tombstones included.
std::optional<StoredEvent> newestMessage(Db& db, RoomId room);
// Main-timeline messages (not deleted) by someone other than `user` after `last_read`,
// and how many of them mention `user` (by id, @room or @here).
struct UnreadCounts {
  std::int64_t unread = 0;
  std::int64_t mentions = 0;
};
UnreadCounts unreadCounts(Db& db, RoomId room, UserId user, Seq last_read);
void insertEvent(Db& db, const StoredEvent& e);

// reactions.cpp
// Inside an append of kind react/unreact, once the room and membership are checked;
// `next_seq` takes the room's next seq.
Result<AppendResult> changeReaction(Db& db, const AppendRequest& r, Seq (*next_seq)(Db&, RoomId));
// The aggregate of message `seq` (reactionsJson of its rows).
std::string reactionAggregate(Db& db, RoomId room, Seq seq);
Result<std::vector<std::pair<Seq, std::string>>> reactionsBy(Db& db, RoomId room, UserId user,
                                                             Seq from, Seq to);

// pins.cpp
// Inside an append of kind pin/unpin, once the room and membership are checked.
Result<AppendResult> changePin(Db& db, const AppendRequest& r, Seq (*next_seq)(Db&, RoomId));
Result<std::vector<Pin>> pins(Db& db, RoomId room);
Result<SettingsChanged> changeRoomSettings(Db& db, const SettingsChange& c);
Status setNotifications(Db& db, RoomId room, UserId user, NotifyLevel level, bool muted);

// threads.cpp
// The summary of the thread of `root` as its rows stand (threadJson).
std::string threadSummary(Db& db, RoomId room, Seq root);
// The root a reply naming `named` goes to: `named` if it is a live main-timeline message,
// its root if it is a live reply whose root is live; not_found otherwise.
Result<Seq> threadRootOf(Db& db, RoomId room, Seq named);
// Inside an append, once `reply` (thread_root set) is stored: the root's new summary on
// both rows and in `reply`, and the follows a reply makes.
void afterThreadReply(Db& db, StoredEvent& reply);
// Inside an append, once the delete event `del` of a reply in `root` is stored.
void afterThreadDelete(Db& db, StoredEvent& del, Seq root);
Status setThreadFollow(Db& db, RoomId room, Seq root, UserId user, bool follow, Millis now);
Result<Seq> markThreadRead(Db& db, RoomId room, Seq root, UserId user, Seq seq);
Result<std::vector<FollowedThread>> followedThreads(Db& db, UserId user, int limit);

}  // namespace parley::sqlite::ops
