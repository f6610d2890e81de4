// The SQL behind each Store method: one coroutine per method, run on the adapter's
// io_context with a connection borrowed from the pool. Outcomes (not found, conflict...)
// and database failures are both returned as values.
//
// Reference parameters must outlive the coroutine (the store keeps them in the frame of
// the coroutine that awaits these).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/postgres/pg_conn.h"
#include "domain/types.h"
#include "ports/store.h"

namespace parley::postgres::ops {

// accounts.cpp
Task<Result<User>> createUser(PgConn& c, const std::string& username,
                              const std::string& password_hash, Millis now);
Task<Result<User>> userByName(PgConn& c, const std::string& username);
Task<Result<User>> userById(PgConn& c, UserId id);
Task<Result<Session>> createSession(PgConn& c, const Session& s);
Task<Result<Session>> sessionByTokenHash(PgConn& c, const std::string& token_hash);
Task<Status> touchSession(PgConn& c, SessionId id, Millis now, const std::string& ip);
Task<Result<std::vector<Session>>> sessionsOf(PgConn& c, UserId user);
Task<Status> deleteSession(PgConn& c, UserId user, SessionId id);
Task<Status> setUserDisabled(PgConn& c, UserId id, bool disabled);
// The columns readUser reads, followed by a space (for a WHERE or ORDER BY).
extern const char* const kUserSelect;
User readUser(const PgResult& r, int row);

// people.cpp
Task<Result<Profile>> profileOf(PgConn& c, UserId id);
Task<Status> putProfile(PgConn& c, const Profile& prof);
Task<Status> setAvatar(PgConn& c, UserId user, const std::string& avatar_id,
                       const std::vector<AvatarImage>& images, Millis now);
Task<Result<std::string>> avatarImage(PgConn& c, UserId user, int size);
Task<Result<bool>> shareRoom(PgConn& c, UserId a, UserId b);
Task<Result<std::vector<Profile>>> findPeople(PgConn& c, const PeopleQuery& q);
Task<Result<std::vector<User>>> usersPage(PgConn& c, UserId after, int limit);
Task<Status> setUserAdmin(PgConn& c, UserId id, bool admin);
Task<Status> revokeAdminUnlessLast(PgConn& c, UserId id);
Task<Result<std::vector<UserListing>>> searchUsers(PgConn& c, const std::string& prefix,
                                                   UserId after, int limit);
// A LIKE pattern (ESCAPE '\\') matching what starts with `prefix`, ASCII letters lowered.
std::string likePrefix(std::string_view prefix);
Task<Result<bool>> claimFirstAdmin(PgConn& c, UserId id);
Task<Status> setPasswordHash(PgConn& c, UserId id, const std::string& password_hash);
Task<Status> createPasswordReset(PgConn& c, UserId user, const std::string& token_hash, Millis now,
                                 Millis expires_at);
Task<Result<UserId>> usePasswordReset(PgConn& c, const std::string& token_hash, Millis now,
                                      const std::string& password_hash);

// signup.cpp
Task<Result<Invite>> createInvite(PgConn& c, const Invite& i);
Task<Result<std::vector<Invite>>> invites(PgConn& c, int limit);
Task<Status> revokeInvite(PgConn& c, std::int64_t id, Millis now);
Task<Result<InvitedUser>> createInvitedUser(PgConn& c, const std::string& token_hash,
                                            const std::string& username,
                                            const std::string& password_hash, Millis now);
Task<Status> putPendingTotp(PgConn& c, UserId user, const std::string& sealed, Millis now);
Task<Result<TotpRecord>> totpOf(PgConn& c, UserId user);
Task<Status> enableTotp(PgConn& c, UserId user, std::int64_t step, const std::string& recovery);
Task<Status> useTotpStep(PgConn& c, UserId user, std::int64_t step);
Task<Status> replaceRecovery(PgConn& c, UserId user, const std::string& expected,
                             const std::string& next);
Task<Status> deleteTotp(PgConn& c, UserId user);

// known_logins.cpp
Task<Status> rememberLogin(PgConn& c, UserId user, const std::string& network,
                           const std::string& device, Millis now);
Task<Result<KnownLogin>> knownLogin(PgConn& c, UserId user, const std::string& network,
                                    const std::string& device);

// secrets.cpp
Task<Result<std::string>> wrappedSecret(PgConn& c, const std::string& name);
Task<Status> putWrappedSecret(PgConn& c, const std::string& name, const std::string& wrapped);
Task<Status> rewrapSecret(PgConn& c, const std::string& name, const std::string& wrapped,
                          const std::string& expected);

// audit.cpp
Task<Status> recordAudit(PgConn& c, const AuditEvent& e, const AuditChain& chain);
Task<Status> countAudit(PgConn& c, const AuditEvent& e, const std::string& key, Millis window_ms,
                        const AuditChain& chain);
Task<Result<std::vector<AuditEvent>>> auditEvents(PgConn& c, UserId user, int limit);
Task<Result<std::vector<AuditEvent>>> searchAudit(PgConn& c, const AuditQuery& q);
Task<Result<std::vector<AuditEvent>>> auditChainAfter(PgConn& c, std::int64_t after_id, int limit);
Task<Result<std::int64_t>> pruneAudit(PgConn& c, Millis before, int limit, const AuditChain& chain);
Task<Result<AuditAnchor>> auditAnchor(PgConn& c);

// rooms.cpp
Task<Result<Room>> createRoom(PgConn& c, const NewRoom& r);
Task<Result<Room>> directRoom(PgConn& c, UserId a, UserId b, Millis now);
Task<Result<Room>> roomById(PgConn& c, RoomId id);
Task<Result<std::vector<Room>>> publicRooms(PgConn& c, int limit);
Task<Result<std::vector<RoomListing>>> searchRooms(PgConn& c, const std::string& prefix,
                                                   RoomId after, int limit);
Task<Result<std::vector<RoomSummary>>> roomsOf(PgConn& c, UserId user);
Task<Result<RoomKeyRecord>> roomKey(PgConn& c, RoomId room, std::uint32_t version);
Task<Result<RoomKeyRecord>> latestRoomKey(PgConn& c, RoomId room);
Task<Status> putRoomKey(PgConn& c, const RoomKeyRecord& k);
Task<Result<std::vector<RoomKeyRecord>>> roomKeysAfter(PgConn& c, RoomId room,
                                                       std::uint32_t version, int limit);
Task<Status> rewrapRoomKey(PgConn& c, const RoomKeyRecord& k, const std::string& expected);

// room_purge.cpp (deleted rooms; files.cpp: takeRoomFiles removes and returns file rows)
Task<Result<std::vector<UserId>>> deleteRoom(PgConn& c, RoomId room, Millis now);
Task<Result<std::vector<RoomId>>> roomsToPurge(PgConn& c, int limit);
Task<Result<RoomPurge>> purgeRoom(PgConn& c, RoomId room, int limit);
Task<Result<std::vector<FileRecord>>> takeRoomFiles(PgConn& c, RoomId room, int limit);

// members.cpp
Task<Result<Member>> member(PgConn& c, RoomId room, UserId user);
Task<Result<std::vector<Member>>> members(PgConn& c, RoomId room);
Task<Result<Member>> addMember(PgConn& c, RoomId room, UserId user, Role role, Millis now);
Task<Status> removeMember(PgConn& c, RoomId room, UserId user);
Task<Status> setRole(PgConn& c, RoomId room, UserId user, Role role);
Task<Result<Seq>> setReadMarker(PgConn& c, RoomId room, UserId user, Seq seq);
Task<Result<std::vector<Member>>> membersPage(PgConn& c, RoomId room, UserId after, int limit);
Task<Result<std::int64_t>> memberCount(PgConn& c, RoomId room);
Task<Result<std::vector<UserId>>> coMembers(PgConn& c, UserId user, std::int64_t max_group);

// files.cpp
Task<Status> createFile(PgConn& c, const FileRecord& f);
Task<Result<FileRecord>> fileById(PgConn& c, const std::string& id);
Task<Result<std::vector<FileRecord>>> filesOfMessage(PgConn& c, RoomId room, Seq seq);
Task<Result<std::vector<FileRecord>>> unattachedFiles(PgConn& c, Millis before, int limit);
Task<Result<UploadUsage>> unattachedUsage(PgConn& c, UserId uploader);
Task<Status> deleteUnattachedFile(PgConn& c, const std::string& id);

// timeline.cpp
Task<Result<AppendResult>> append(PgConn& c, const AppendRequest& r);
// The usernames a request mentions as the write statements take them: usernameKey of each
// (at most kMaxMentionNames, none holding a ','), joined by ','.
std::string mentionNames(const AppendRequest& r);
// What a message's write statement stored: its seq and the mentions resolved.
struct Written {
  Seq seq = 0;
  std::vector<UserId> mentions;
  std::int64_t mention_flags = 0;
};
// Fills e's mentions from a write statement's `RETURNING seq, mentions, mention_flags`.
void readMentions(const PgResult& written, StoredEvent& e);
// Several messages (kind message, client_msg_id set) in ONE transaction, in the given
// order: one write statement each, as append's. Per request what it wrote, or nullopt when
// the statement's own checks made it do nothing (a duplicate, a missing room, a bad
// reply_to; append() on its own explains which). An error means nothing was stored.
Task<Result<std::vector<std::optional<Written>>>> appendMessages(
    PgConn& c, const std::vector<const AppendRequest*>& batch);
Task<Result<StoredEvent>> eventAt(PgConn& c, RoomId room, Seq seq);

// reactions.cpp
// append() of kind react/unreact (parley_react, schema step 9).
Task<Result<AppendResult>> changeReaction(PgConn& c, const AppendRequest& r);
Task<Result<std::vector<std::pair<Seq, std::string>>>> reactionsBy(PgConn& c, RoomId room,
                                                                   UserId user, Seq from, Seq to);
Task<Result<std::vector<StoredEvent>>> events(PgConn& c, const EventQuery& q);

// pins.cpp
// append() of kind pin/unpin (parley_pin, schema step 17).
Task<Result<AppendResult>> changePin(PgConn& c, const AppendRequest& r);
Task<Result<std::vector<Pin>>> pins(PgConn& c, RoomId room);
Task<Result<SettingsChanged>> changeRoomSettings(PgConn& c, const SettingsChange& s);
Task<Status> setNotifications(PgConn& c, RoomId room, UserId user, NotifyLevel level, bool muted);

// threads.cpp
// append() of a message with thread_root (its own transaction, never batched).
Task<Result<AppendResult>> appendReply(PgConn& c, const AppendRequest& r);
// A delete's pipeline: lockRootOfTarget first, afterDelete last; applyAfterDelete gives the
// event the root and summary afterDelete returned (none when the target was no reply).
Statement lockRootOfTarget(const AppendRequest& r);
Statement afterDelete(const AppendRequest& r);
void applyAfterDelete(const PgResult& after, StoredEvent& e);
Task<Status> setThreadFollow(PgConn& c, RoomId room, Seq root, UserId user, bool follow,
                             Millis now);
Task<Result<Seq>> markThreadRead(PgConn& c, RoomId room, Seq root, UserId user, Seq seq);
Task<Result<std::vector<FollowedThread>>> followedThreads(PgConn& c, UserId user, int limit);

}  // namespace parley::postgres::ops
