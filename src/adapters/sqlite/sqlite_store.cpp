#include "adapters/sqlite/sqlite_store.h"

#include <algorithm>

#include "adapters/sqlite/job.h"
#include "adapters/sqlite/ops.h"
#include "adapters/sqlite/schema.h"
#include "adapters/sqlite/workers.h"

namespace parley::sqlite {

namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> writer, std::vector<std::unique_ptr<Db>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  // --- users ---
  Task<Result<User>> createUser(std::string username, std::string password_hash,
                                Millis now) override {
    return write<Result<User>>([u = std::move(username), h = std::move(password_hash),
                                now](Db& db) { return ops::createUser(db, u, h, now); });
  }
  Task<Result<User>> userByName(std::string username) override {
    return read<Result<User>>([u = std::move(username)](Db& db) { return ops::userByName(db, u); });
  }
  Task<Result<User>> userById(UserId id) override {
    return read<Result<User>>([id](Db& db) { return ops::userById(db, id); });
  }

  Task<Status> setUserDisabled(UserId id, bool disabled) override {
    return write<Status>([id, disabled](Db& db) { return ops::setUserDisabled(db, id, disabled); });
  }

  // --- people ---
  Task<Result<std::vector<User>>> usersPage(UserId after, int limit) override {
    return read<Result<std::vector<User>>>(
        [after, limit](Db& db) { return ops::usersPage(db, after, limit); });
  }
  Task<Result<Profile>> profileOf(UserId id) override {
    return read<Result<Profile>>([id](Db& db) { return ops::profileOf(db, id); });
  }
  Task<Status> putProfile(Profile p) override {
    return write<Status>([p = std::move(p)](Db& db) { return ops::putProfile(db, p); });
  }
  Task<Status> setAvatar(UserId user, std::string avatar_id, std::vector<AvatarImage> images,
                         Millis now) override {
    return write<Status>([user, id = std::move(avatar_id), imgs = std::move(images), now](Db& db) {
      return ops::setAvatar(db, user, id, imgs, now);
    });
  }
  Task<Result<std::string>> avatarImage(UserId user, int size) override {
    return read<Result<std::string>>(
        [user, size](Db& db) { return ops::avatarImage(db, user, size); });
  }
  Task<Result<bool>> shareRoom(UserId a, UserId b) override {
    return read<Result<bool>>([=](Db& db) { return ops::shareRoom(db, a, b); });
  }
  Task<Result<std::vector<Profile>>> findPeople(PeopleQuery q) override {
    return read<Result<std::vector<Profile>>>(
        [q = std::move(q)](Db& db) { return ops::findPeople(db, q); });
  }
  Task<Status> setUserAdmin(UserId id, bool admin) override {
    return write<Status>([id, admin](Db& db) { return ops::setUserAdmin(db, id, admin); });
  }
  Task<Status> revokeAdminUnlessLast(UserId id) override {
    return write<Status>([id](Db& db) { return ops::revokeAdminUnlessLast(db, id); });
  }
  Task<Result<std::vector<UserListing>>> searchUsers(std::string prefix, UserId after,
                                                     int limit) override {
    return read<Result<std::vector<UserListing>>>([p = std::move(prefix), after, limit](Db& db) {
      return ops::searchUsers(db, p, after, limit);
    });
  }
  Task<Result<bool>> claimFirstAdmin(UserId id) override {
    return write<Result<bool>>([id](Db& db) { return ops::claimFirstAdmin(db, id); });
  }
  Task<Status> setPasswordHash(UserId id, std::string password_hash) override {
    return write<Status>(
        [id, h = std::move(password_hash)](Db& db) { return ops::setPasswordHash(db, id, h); });
  }
  Task<Status> createPasswordReset(UserId user, std::string token_hash, Millis now,
                                   Millis expires_at) override {
    return write<Status>([=, t = std::move(token_hash)](Db& db) {
      return ops::createPasswordReset(db, user, t, now, expires_at);
    });
  }
  Task<Result<UserId>> usePasswordReset(std::string token_hash, Millis now,
                                        std::string password_hash) override {
    return write<Result<UserId>>([t = std::move(token_hash), now, h = std::move(password_hash)](
                                     Db& db) { return ops::usePasswordReset(db, t, now, h); });
  }

  // --- sign-up invites and two-factor ---
  Task<Result<Invite>> createInvite(Invite i) override {
    return write<Result<Invite>>([i = std::move(i)](Db& db) { return ops::createInvite(db, i); });
  }
  Task<Result<std::vector<Invite>>> invites(int limit) override {
    return read<Result<std::vector<Invite>>>([limit](Db& db) { return ops::invites(db, limit); });
  }
  Task<Status> revokeInvite(std::int64_t id, Millis now) override {
    return write<Status>([id, now](Db& db) { return ops::revokeInvite(db, id, now); });
  }
  Task<Result<InvitedUser>> createInvitedUser(std::string token_hash, std::string username,
                                              std::string password_hash, Millis now) override {
    return write<Result<InvitedUser>>(
        [t = std::move(token_hash), u = std::move(username), h = std::move(password_hash),
         now](Db& db) { return ops::createInvitedUser(db, t, u, h, now); });
  }
  Task<Status> putPendingTotp(UserId user, std::string sealed_secret, Millis now) override {
    return write<Status>([user, s = std::move(sealed_secret), now](Db& db) {
      return ops::putPendingTotp(db, user, s, now);
    });
  }
  Task<Result<TotpRecord>> totpOf(UserId user) override {
    return read<Result<TotpRecord>>([user](Db& db) { return ops::totpOf(db, user); });
  }
  Task<Status> enableTotp(UserId user, std::int64_t step, std::string recovery) override {
    return write<Status>([user, step, r = std::move(recovery)](Db& db) {
      return ops::enableTotp(db, user, step, r);
    });
  }
  Task<Status> useTotpStep(UserId user, std::int64_t step) override {
    return write<Status>([user, step](Db& db) { return ops::useTotpStep(db, user, step); });
  }
  Task<Status> replaceRecovery(UserId user, std::string expected, std::string next) override {
    return write<Status>([user, e = std::move(expected), n = std::move(next)](Db& db) {
      return ops::replaceRecovery(db, user, e, n);
    });
  }
  Task<Status> deleteTotp(UserId user) override {
    return write<Status>([user](Db& db) { return ops::deleteTotp(db, user); });
  }

  // --- sessions ---
  Task<Result<Session>> createSession(Session s) override {
    return write<Result<Session>>([s = std::move(s)](Db& db) { return ops::createSession(db, s); });
  }
  Task<Result<Session>> sessionByTokenHash(std::string token_hash) override {
    return read<Result<Session>>(
        [t = std::move(token_hash)](Db& db) { return ops::sessionByTokenHash(db, t); });
  }
  Task<Status> touchSession(SessionId id, Millis now, std::string ip) override {
    return write<Status>(
        [id, now, ip = std::move(ip)](Db& db) { return ops::touchSession(db, id, now, ip); });
  }
  Task<Result<std::vector<Session>>> sessionsOf(UserId user) override {
    return read<Result<std::vector<Session>>>([user](Db& db) { return ops::sessionsOf(db, user); });
  }
  Task<Status> deleteSession(UserId user, SessionId id) override {
    return write<Status>([user, id](Db& db) { return ops::deleteSession(db, user, id); });
  }

  // --- known logins ---
  Task<Status> rememberLogin(UserId user, std::string network, std::string device,
                             Millis now) override {
    return write<Status>([user, n = std::move(network), d = std::move(device), now](Db& db) {
      return ops::rememberLogin(db, user, n, d, now);
    });
  }
  Task<Result<KnownLogin>> knownLogin(UserId user, std::string network,
                                      std::string device) override {
    return read<Result<KnownLogin>>([user, n = std::move(network), d = std::move(device)](Db& db) {
      return ops::knownLogin(db, user, n, d);
    });
  }

  // --- secrets ---
  Task<Result<std::string>> wrappedSecret(std::string name) override {
    return read<Result<std::string>>(
        [n = std::move(name)](Db& db) { return ops::wrappedSecret(db, n); });
  }
  Task<Status> rewrapSecret(std::string name, std::string wrapped, std::string expected) override {
    return write<Status>([n = std::move(name), w = std::move(wrapped), e = std::move(expected)](
                             Db& db) { return ops::rewrapSecret(db, n, w, e); });
  }
  Task<Status> putWrappedSecret(std::string name, std::string wrapped) override {
    return write<Status>([n = std::move(name), w = std::move(wrapped)](Db& db) {
      return ops::putWrappedSecret(db, n, w);
    });
  }

  // --- audit ---
  void setAuditChain(AuditChain chain) override { chain_ = std::move(chain); }
  Task<Status> recordAudit(AuditEvent e) override {
    return write<Status>(
        [this, e = std::move(e)](Db& db) { return ops::recordAudit(db, e, chain_); });
  }
  Task<Status> countAudit(AuditEvent e, std::string key, Millis window_ms) override {
    return write<Status>([this, e = std::move(e), k = std::move(key), window_ms](Db& db) {
      return ops::countAudit(db, e, k, window_ms, chain_);
    });
  }
  Task<Result<std::vector<AuditEvent>>> auditEvents(UserId user, int limit) override {
    return read<Result<std::vector<AuditEvent>>>(
        [user, limit](Db& db) { return ops::auditEvents(db, user, limit); });
  }
  Task<Result<std::vector<AuditEvent>>> searchAudit(AuditQuery q) override {
    return read<Result<std::vector<AuditEvent>>>(
        [q = std::move(q)](Db& db) { return ops::searchAudit(db, q); });
  }
  Task<Result<std::vector<AuditEvent>>> auditChainAfter(std::int64_t after_id, int limit) override {
    return read<Result<std::vector<AuditEvent>>>(
        [after_id, limit](Db& db) { return ops::auditChainAfter(db, after_id, limit); });
  }
  Task<Result<std::int64_t>> pruneAudit(Millis before, int limit) override {
    return write<Result<std::int64_t>>(
        [this, before, limit](Db& db) { return ops::pruneAudit(db, before, limit, chain_); });
  }
  Task<Result<AuditAnchor>> auditAnchor() override {
    return read<Result<AuditAnchor>>([](Db& db) { return ops::auditAnchor(db); });
  }

  // --- rooms and members ---
  Task<Result<Room>> createRoom(NewRoom r) override {
    return write<Result<Room>>([r = std::move(r)](Db& db) { return ops::createRoom(db, r); });
  }
  // On the writer, so concurrent calls for one pair cannot both create a room.
  Task<Result<Room>> directRoom(UserId a, UserId b, Millis now) override {
    return write<Result<Room>>([=](Db& db) { return ops::directRoom(db, a, b, now); });
  }
  Task<Result<Room>> roomById(RoomId id) override {
    return read<Result<Room>>([id](Db& db) { return ops::roomById(db, id); });
  }
  Task<Result<std::vector<Room>>> publicRooms(int limit) override {
    return read<Result<std::vector<Room>>>([limit](Db& db) { return ops::publicRooms(db, limit); });
  }
  Task<Result<std::vector<RoomListing>>> searchRooms(std::string prefix, RoomId after,
                                                     int limit) override {
    return read<Result<std::vector<RoomListing>>>([p = std::move(prefix), after, limit](Db& db) {
      return ops::searchRooms(db, p, after, limit);
    });
  }
  Task<Result<std::vector<RoomSummary>>> roomsOf(UserId user) override {
    return read<Result<std::vector<RoomSummary>>>(
        [user](Db& db) { return ops::roomsOf(db, user); });
  }
  Task<Result<Member>> member(RoomId room, UserId user) override {
    return read<Result<Member>>([room, user](Db& db) { return ops::member(db, room, user); });
  }
  Task<Result<std::vector<Member>>> members(RoomId room) override {
    return read<Result<std::vector<Member>>>([room](Db& db) { return ops::members(db, room); });
  }
  Task<Result<Member>> addMember(RoomId room, UserId user, Role role, Millis now) override {
    return write<Result<Member>>([=](Db& db) { return ops::addMember(db, room, user, role, now); });
  }
  Task<Status> removeMember(RoomId room, UserId user) override {
    return write<Status>([=](Db& db) { return ops::removeMember(db, room, user); });
  }
  Task<Status> setRole(RoomId room, UserId user, Role role) override {
    return write<Status>([=](Db& db) { return ops::setRole(db, room, user, role); });
  }
  Task<Result<Seq>> setReadMarker(RoomId room, UserId user, Seq seq) override {
    return write<Result<Seq>>([=](Db& db) { return ops::setReadMarker(db, room, user, seq); });
  }
  Task<Result<std::vector<Member>>> membersPage(RoomId room, UserId after, int limit) override {
    return read<Result<std::vector<Member>>>(
        [=](Db& db) { return ops::membersPage(db, room, after, limit); });
  }
  Task<Result<std::int64_t>> memberCount(RoomId room) override {
    return read<Result<std::int64_t>>([room](Db& db) { return ops::memberCount(db, room); });
  }
  Task<Result<std::vector<UserId>>> coMembers(UserId user, std::int64_t max_group) override {
    return read<Result<std::vector<UserId>>>(
        [=](Db& db) { return ops::coMembers(db, user, max_group); });
  }

  // --- timeline ---
  Task<Result<AppendResult>> append(AppendRequest r) override {
    return write<Result<AppendResult>>([r = std::move(r)](Db& db) { return ops::append(db, r); });
  }
  Task<Result<StoredEvent>> eventAt(RoomId room, Seq seq) override {
    return read<Result<StoredEvent>>([=](Db& db) { return ops::eventAt(db, room, seq); });
  }
  Task<Result<std::vector<std::pair<Seq, std::string>>>> reactionsBy(RoomId room, UserId user,
                                                                     Seq from, Seq to) override {
    return read<Result<std::vector<std::pair<Seq, std::string>>>>(
        [=](Db& db) { return ops::reactionsBy(db, room, user, from, to); });
  }
  Task<Result<std::vector<StoredEvent>>> events(EventQuery q) override {
    return read<Result<std::vector<StoredEvent>>>([q](Db& db) { return ops::events(db, q); });
  }

  Task<Result<std::vector<Pin>>> pins(RoomId room) override {
    return read<Result<std::vector<Pin>>>([=](Db& db) { return ops::pins(db, room); });
  }

  // --- room settings and notification levels ---
  Task<Result<SettingsChanged>> changeRoomSettings(SettingsChange c) override {
    return write<Result<SettingsChanged>>(
        [c = std::move(c)](Db& db) { return ops::changeRoomSettings(db, c); });
  }
  Task<Status> setNotifications(RoomId room, UserId user, NotifyLevel level, bool muted) override {
    return write<Status>(
        [=](Db& db) { return ops::setNotifications(db, room, user, level, muted); });
  }

  // --- threads ---
  Task<Status> setThreadFollow(RoomId room, Seq root, UserId user, bool follow,
                               Millis now) override {
    return write<Status>(
        [=](Db& db) { return ops::setThreadFollow(db, room, root, user, follow, now); });
  }
  Task<Result<Seq>> markThreadRead(RoomId room, Seq root, UserId user, Seq seq) override {
    return write<Result<Seq>>(
        [=](Db& db) { return ops::markThreadRead(db, room, root, user, seq); });
  }
  Task<Result<std::vector<FollowedThread>>> followedThreads(UserId user, int limit) override {
    return read<Result<std::vector<FollowedThread>>>(
        [=](Db& db) { return ops::followedThreads(db, user, limit); });
  }

  // --- files ---
  Task<Status> createFile(FileRecord f) override {
    return write<Status>([f = std::move(f)](Db& db) { return ops::createFile(db, f); });
  }
  Task<Result<FileRecord>> fileById(std::string id) override {
    return read<Result<FileRecord>>([id = std::move(id)](Db& db) { return ops::fileById(db, id); });
  }
  Task<Result<std::vector<FileRecord>>> filesOfMessage(RoomId room, Seq seq) override {
    return read<Result<std::vector<FileRecord>>>(
        [=](Db& db) { return ops::filesOfMessage(db, room, seq); });
  }
  Task<Result<std::vector<FileRecord>>> unattachedFiles(Millis before, int limit) override {
    return read<Result<std::vector<FileRecord>>>(
        [=](Db& db) { return ops::unattachedFiles(db, before, limit); });
  }
  Task<Status> deleteUnattachedFile(std::string id) override {
    return write<Status>(
        [id = std::move(id)](Db& db) { return ops::deleteUnattachedFile(db, id); });
  }
  Task<Result<UploadUsage>> unattachedUsage(UserId uploader) override {
    return read<Result<UploadUsage>>(
        [uploader](Db& db) { return ops::unattachedUsage(db, uploader); });
  }

  // --- keys ---
  Task<Result<RoomKeyRecord>> roomKey(RoomId room, std::uint32_t version) override {
    return read<Result<RoomKeyRecord>>([=](Db& db) { return ops::roomKey(db, room, version); });
  }
  Task<Result<RoomKeyRecord>> latestRoomKey(RoomId room) override {
    return read<Result<RoomKeyRecord>>([room](Db& db) { return ops::latestRoomKey(db, room); });
  }
  Task<Result<std::vector<UserId>>> deleteRoom(RoomId room, Millis now) override {
    return write<Result<std::vector<UserId>>>(
        [=](Db& db) { return ops::deleteRoom(db, room, now); });
  }
  Task<Result<std::vector<RoomId>>> roomsToPurge(int limit) override {
    return read<Result<std::vector<RoomId>>>(
        [limit](Db& db) { return Result<std::vector<RoomId>>(ops::roomsToPurge(db, limit)); });
  }
  Task<Result<RoomPurge>> purgeRoom(RoomId room, int limit) override {
    return write<Result<RoomPurge>>([=](Db& db) { return ops::purgeRoom(db, room, limit); });
  }
  Task<Status> putRoomKey(RoomKeyRecord k) override {
    return write<Status>([k = std::move(k)](Db& db) { return ops::putRoomKey(db, k); });
  }
  Task<Result<std::vector<RoomKeyRecord>>> roomKeysAfter(RoomId room, std::uint32_t version,
                                                         int limit) override {
    return read<Result<std::vector<RoomKeyRecord>>>(
        [=](Db& db) { return ops::roomKeysAfter(db, room, version, limit); });
  }
  Task<Status> rewrapRoomKey(RoomKeyRecord k, std::string expected) override {
    return write<Status>([k = std::move(k), e = std::move(expected)](Db& db) {
      return ops::rewrapRoomKey(db, k, e);
    });
  }

 private:
  template <class T, class Work>
  Task<T> write(Work work) {
    return submit<T>(writer_.queue(), std::move(work));
  }
  template <class T, class Work>
  Task<T> read(Work work) {
    return submit<T>(readers_.queue(), std::move(work));
  }

  AuditChain chain_;  // set once before the first audit write (Store::setAuditChain)
  // Declared last, destroyed first: ~ReaderPool and ~Writer finish queued work.
  Writer writer_;
  ReaderPool readers_;
};

}  // namespace

int sqliteSchemaVersion() { return schemaVersion(); }

Result<StorePtr> openSqliteStore(const std::filesystem::path& file, SqliteOptions opts) {
  auto writer = Db::open(file, Db::Mode::read_write_create);
  if (!writer) return writer.error();
  if (auto ok = prepareWriter(**writer); !ok) return ok.error();
  // Read-only connections open after the writer has put the file in WAL mode.
  std::vector<std::unique_ptr<Db>> readers;
  for (int i = 0; i < std::max(opts.reader_threads, 1); ++i) {
    auto reader = Db::open(file, Db::Mode::read_only);
    if (!reader) return reader.error();
    readers.push_back(std::move(*reader));
  }
  return StorePtr(std::make_unique<SqliteStore>(std::move(*writer), std::move(readers)));
}

}  // namespace parley::sqlite
