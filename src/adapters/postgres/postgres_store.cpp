#include "adapters/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <thread>

#include "adapters/postgres/appender.h"
#include "adapters/postgres/ops.h"
#include "adapters/postgres/pool.h"
#include "adapters/postgres/schema.h"

namespace parley::postgres {

namespace {

namespace asio = boost::asio;

// Borrows a connection, runs `body(conn)` and gives the connection back. `body` lives in
// this coroutine's frame, so references the ops keep into its captures stay valid.
template <class T, class Body>
Task<T> withConnection(Pool& pool, Body body) {
  auto conn = co_await pool.acquire();
  if (!conn) co_return T(conn.error());
  Lease lease(pool, std::move(*conn));
  T result = co_await body(lease.conn());
  co_return result;
}

// Runs `body()`; `body` lives in this coroutine's frame, like withConnection's.
template <class T, class Body>
Task<T> withoutConnection(Body body) {
  T result = co_await body();
  co_return result;
}

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, const PostgresOptions& opts)
      : pool_(ioc_.get_executor(), PgConn::Options{url, opts.connect_timeout, opts.io_timeout},
              opts.pool_size),
        appender_(ioc_.get_executor(), pool_, std::max(1, opts.pool_size / 2)),
        thread_([this] { ioc_.run(); }) {}

  ~PostgresStore() override {
    work_.reset();  // run() returns once the calls in flight have completed
    thread_.join();
  }

  // --- users ---
  Task<Result<User>> createUser(std::string username, std::string password_hash,
                                Millis now) override {
    return call<Result<User>>([u = std::move(username), h = std::move(password_hash),
                               now](PgConn& c) { return ops::createUser(c, u, h, now); });
  }
  Task<Result<User>> userByName(std::string username) override {
    return call<Result<User>>(
        [u = std::move(username)](PgConn& c) { return ops::userByName(c, u); });
  }
  Task<Result<User>> userById(UserId id) override {
    return call<Result<User>>([id](PgConn& c) { return ops::userById(c, id); });
  }

  // --- sessions ---
  Task<Result<Session>> createSession(Session s) override {
    return call<Result<Session>>(
        [s = std::move(s)](PgConn& c) { return ops::createSession(c, s); });
  }
  Task<Result<Session>> sessionByTokenHash(std::string token_hash) override {
    return call<Result<Session>>(
        [t = std::move(token_hash)](PgConn& c) { return ops::sessionByTokenHash(c, t); });
  }
  Task<Status> touchSession(SessionId id, Millis now, std::string ip) override {
    return call<Status>(
        [id, now, ip = std::move(ip)](PgConn& c) { return ops::touchSession(c, id, now, ip); });
  }
  Task<Result<std::vector<Session>>> sessionsOf(UserId user) override {
    return call<Result<std::vector<Session>>>(
        [user](PgConn& c) { return ops::sessionsOf(c, user); });
  }
  Task<Status> setUserDisabled(UserId id, bool disabled) override {
    return call<Status>(
        [id, disabled](PgConn& c) { return ops::setUserDisabled(c, id, disabled); });
  }

  // --- people ---
  Task<Result<std::vector<User>>> usersPage(UserId after, int limit) override {
    return call<Result<std::vector<User>>>(
        [after, limit](PgConn& c) { return ops::usersPage(c, after, limit); });
  }
  Task<Status> revokeAdminUnlessLast(UserId id) override {
    return call<Status>([id](PgConn& c) { return ops::revokeAdminUnlessLast(c, id); });
  }
  Task<Result<std::vector<UserListing>>> searchUsers(std::string prefix, UserId after,
                                                     int limit) override {
    return call<Result<std::vector<UserListing>>>([p = std::move(prefix), after, limit](PgConn& c) {
      return ops::searchUsers(c, p, after, limit);
    });
  }
  Task<Result<Profile>> profileOf(UserId id) override {
    return call<Result<Profile>>([id](PgConn& c) { return ops::profileOf(c, id); });
  }
  Task<Status> putProfile(Profile p) override {
    return call<Status>([p = std::move(p)](PgConn& c) { return ops::putProfile(c, p); });
  }
  Task<Status> setAvatar(UserId user, std::string avatar_id, std::vector<AvatarImage> images,
                         Millis now) override {
    return call<Status>([user, id = std::move(avatar_id), imgs = std::move(images),
                         now](PgConn& c) { return ops::setAvatar(c, user, id, imgs, now); });
  }
  Task<Result<std::string>> avatarImage(UserId user, int size) override {
    return call<Result<std::string>>(
        [user, size](PgConn& c) { return ops::avatarImage(c, user, size); });
  }
  Task<Result<bool>> shareRoom(UserId a, UserId b) override {
    return call<Result<bool>>([=](PgConn& c) { return ops::shareRoom(c, a, b); });
  }
  Task<Result<std::vector<Profile>>> findPeople(PeopleQuery q) override {
    return call<Result<std::vector<Profile>>>(
        [q = std::move(q)](PgConn& c) { return ops::findPeople(c, q); });
  }
  Task<Status> setUserAdmin(UserId id, bool admin) override {
    return call<Status>([id, admin](PgConn& c) { return ops::setUserAdmin(c, id, admin); });
  }
  Task<Result<bool>> claimFirstAdmin(UserId id) override {
    return call<Result<bool>>([id](PgConn& c) { return ops::claimFirstAdmin(c, id); });
  }
  Task<Status> setPasswordHash(UserId id, std::string password_hash) override {
    return call<Status>(
        [id, h = std::move(password_hash)](PgConn& c) { return ops::setPasswordHash(c, id, h); });
  }
  Task<Status> createPasswordReset(UserId user, std::string token_hash, Millis now,
                                   Millis expires_at) override {
    return call<Status>([=, t = std::move(token_hash)](PgConn& c) {
      return ops::createPasswordReset(c, user, t, now, expires_at);
    });
  }
  Task<Result<UserId>> usePasswordReset(std::string token_hash, Millis now,
                                        std::string password_hash) override {
    return call<Result<UserId>>([t = std::move(token_hash), now, h = std::move(password_hash)](
                                    PgConn& c) { return ops::usePasswordReset(c, t, now, h); });
  }
  Task<Status> deleteSession(UserId user, SessionId id) override {
    return call<Status>([user, id](PgConn& c) { return ops::deleteSession(c, user, id); });
  }

  // --- sign-up invites and two-factor ---
  Task<Result<Invite>> createInvite(Invite i) override {
    return call<Result<Invite>>([i = std::move(i)](PgConn& c) { return ops::createInvite(c, i); });
  }
  Task<Result<std::vector<Invite>>> invites(int limit) override {
    return call<Result<std::vector<Invite>>>([limit](PgConn& c) { return ops::invites(c, limit); });
  }
  Task<Status> revokeInvite(std::int64_t id, Millis now) override {
    return call<Status>([id, now](PgConn& c) { return ops::revokeInvite(c, id, now); });
  }
  Task<Result<InvitedUser>> createInvitedUser(std::string token_hash, std::string username,
                                              std::string password_hash, Millis now) override {
    return call<Result<InvitedUser>>(
        [t = std::move(token_hash), u = std::move(username), h = std::move(password_hash),
         now](PgConn& c) { return ops::createInvitedUser(c, t, u, h, now); });
  }
  Task<Status> putPendingTotp(UserId user, std::string sealed_secret, Millis now) override {
    return call<Status>([user, s = std::move(sealed_secret), now](PgConn& c) {
      return ops::putPendingTotp(c, user, s, now);
    });
  }
  Task<Result<TotpRecord>> totpOf(UserId user) override {
    return call<Result<TotpRecord>>([user](PgConn& c) { return ops::totpOf(c, user); });
  }
  Task<Status> enableTotp(UserId user, std::int64_t step, std::string recovery) override {
    return call<Status>([user, step, r = std::move(recovery)](PgConn& c) {
      return ops::enableTotp(c, user, step, r);
    });
  }
  Task<Status> useTotpStep(UserId user, std::int64_t step) override {
    return call<Status>([user, step](PgConn& c) { return ops::useTotpStep(c, user, step); });
  }
  Task<Status> replaceRecovery(UserId user, std::string expected, std::string next) override {
    return call<Status>([user, e = std::move(expected), n = std::move(next)](PgConn& c) {
      return ops::replaceRecovery(c, user, e, n);
    });
  }
  Task<Status> deleteTotp(UserId user) override {
    return call<Status>([user](PgConn& c) { return ops::deleteTotp(c, user); });
  }

  // --- known logins ---
  Task<Status> rememberLogin(UserId user, std::string network, std::string device,
                             Millis now) override {
    return call<Status>([user, n = std::move(network), d = std::move(device), now](PgConn& c) {
      return ops::rememberLogin(c, user, n, d, now);
    });
  }
  Task<Result<KnownLogin>> knownLogin(UserId user, std::string network,
                                      std::string device) override {
    return call<Result<KnownLogin>>([user, n = std::move(network), d = std::move(device)](
                                        PgConn& c) { return ops::knownLogin(c, user, n, d); });
  }

  // --- secrets ---
  Task<Result<std::string>> wrappedSecret(std::string name) override {
    return call<Result<std::string>>(
        [n = std::move(name)](PgConn& c) { return ops::wrappedSecret(c, n); });
  }
  Task<Status> rewrapSecret(std::string name, std::string wrapped, std::string expected) override {
    return call<Status>([n = std::move(name), w = std::move(wrapped), e = std::move(expected)](
                            PgConn& c) { return ops::rewrapSecret(c, n, w, e); });
  }
  Task<Status> putWrappedSecret(std::string name, std::string wrapped) override {
    return call<Status>([n = std::move(name), w = std::move(wrapped)](PgConn& c) {
      return ops::putWrappedSecret(c, n, w);
    });
  }

  // --- audit ---
  void setAuditChain(AuditChain chain) override { chain_ = std::move(chain); }
  Task<Status> recordAudit(AuditEvent e) override {
    return call<Status>(
        [this, e = std::move(e)](PgConn& c) { return ops::recordAudit(c, e, chain_); });
  }
  Task<Status> countAudit(AuditEvent e, std::string key, Millis window_ms) override {
    return call<Status>([this, e = std::move(e), k = std::move(key), window_ms](PgConn& c) {
      return ops::countAudit(c, e, k, window_ms, chain_);
    });
  }
  Task<Result<std::vector<AuditEvent>>> auditEvents(UserId user, int limit) override {
    return call<Result<std::vector<AuditEvent>>>(
        [user, limit](PgConn& c) { return ops::auditEvents(c, user, limit); });
  }
  Task<Result<std::vector<AuditEvent>>> searchAudit(AuditQuery q) override {
    return call<Result<std::vector<AuditEvent>>>(
        [q = std::move(q)](PgConn& c) { return ops::searchAudit(c, q); });
  }
  Task<Result<std::vector<AuditEvent>>> auditChainAfter(std::int64_t after_id, int limit) override {
    return call<Result<std::vector<AuditEvent>>>(
        [after_id, limit](PgConn& c) { return ops::auditChainAfter(c, after_id, limit); });
  }
  Task<Result<std::int64_t>> pruneAudit(Millis before, int limit) override {
    return call<Result<std::int64_t>>(
        [this, before, limit](PgConn& c) { return ops::pruneAudit(c, before, limit, chain_); });
  }
  Task<Result<AuditAnchor>> auditAnchor() override {
    return call<Result<AuditAnchor>>([](PgConn& c) { return ops::auditAnchor(c); });
  }

  // --- rooms and members ---
  Task<Result<Room>> createRoom(NewRoom r) override {
    return call<Result<Room>>([r = std::move(r)](PgConn& c) { return ops::createRoom(c, r); });
  }
  Task<Result<Room>> directRoom(UserId a, UserId b, Millis now) override {
    return call<Result<Room>>([=](PgConn& c) { return ops::directRoom(c, a, b, now); });
  }
  Task<Result<Room>> roomById(RoomId id) override {
    return call<Result<Room>>([id](PgConn& c) { return ops::roomById(c, id); });
  }
  Task<Result<std::vector<Room>>> publicRooms(int limit) override {
    return call<Result<std::vector<Room>>>(
        [limit](PgConn& c) { return ops::publicRooms(c, limit); });
  }
  Task<Result<std::vector<RoomListing>>> searchRooms(std::string prefix, RoomId after,
                                                     int limit) override {
    return call<Result<std::vector<RoomListing>>>([p = std::move(prefix), after, limit](PgConn& c) {
      return ops::searchRooms(c, p, after, limit);
    });
  }
  Task<Result<std::vector<RoomSummary>>> roomsOf(UserId user) override {
    return call<Result<std::vector<RoomSummary>>>(
        [user](PgConn& c) { return ops::roomsOf(c, user); });
  }
  Task<Result<Member>> member(RoomId room, UserId user) override {
    return call<Result<Member>>([=](PgConn& c) { return ops::member(c, room, user); });
  }
  Task<Result<std::vector<Member>>> members(RoomId room) override {
    return call<Result<std::vector<Member>>>([room](PgConn& c) { return ops::members(c, room); });
  }
  Task<Result<Member>> addMember(RoomId room, UserId user, Role role, Millis now) override {
    return call<Result<Member>>(
        [=](PgConn& c) { return ops::addMember(c, room, user, role, now); });
  }
  Task<Status> removeMember(RoomId room, UserId user) override {
    return call<Status>([=](PgConn& c) { return ops::removeMember(c, room, user); });
  }
  Task<Status> setRole(RoomId room, UserId user, Role role) override {
    return call<Status>([=](PgConn& c) { return ops::setRole(c, room, user, role); });
  }
  Task<Result<Seq>> setReadMarker(RoomId room, UserId user, Seq seq) override {
    return call<Result<Seq>>([=](PgConn& c) { return ops::setReadMarker(c, room, user, seq); });
  }
  Task<Result<std::vector<Member>>> membersPage(RoomId room, UserId after, int limit) override {
    return call<Result<std::vector<Member>>>(
        [=](PgConn& c) { return ops::membersPage(c, room, after, limit); });
  }
  Task<Result<std::int64_t>> memberCount(RoomId room) override {
    return call<Result<std::int64_t>>([room](PgConn& c) { return ops::memberCount(c, room); });
  }
  Task<Result<std::vector<UserId>>> coMembers(UserId user, std::int64_t max_group) override {
    return call<Result<std::vector<UserId>>>(
        [=](PgConn& c) { return ops::coMembers(c, user, max_group); });
  }

  // --- timeline ---
  Task<Result<AppendResult>> append(AppendRequest r) override {
    if (r.kind == EventKind::message && !r.client_msg_id.empty() && r.file_ids.empty() &&
        r.thread_root == 0) {
      // Group commit: see appender.h. A message attaching files takes its own transaction
      // (ops::append), which locks the files before the room row; so does a thread reply,
      // which locks its root first (ops/threads.cpp).
      return onThread<Result<AppendResult>>(
          [this, r = std::move(r)] { return appender_.append(r); });
    }
    return call<Result<AppendResult>>([r = std::move(r)](PgConn& c) { return ops::append(c, r); });
  }
  Task<Result<StoredEvent>> eventAt(RoomId room, Seq seq) override {
    return call<Result<StoredEvent>>([=](PgConn& c) { return ops::eventAt(c, room, seq); });
  }
  Task<Result<std::vector<std::pair<Seq, std::string>>>> reactionsBy(RoomId room, UserId user,
                                                                     Seq from, Seq to) override {
    return call<Result<std::vector<std::pair<Seq, std::string>>>>(
        [=](PgConn& c) { return ops::reactionsBy(c, room, user, from, to); });
  }
  Task<Result<std::vector<StoredEvent>>> events(EventQuery q) override {
    return call<Result<std::vector<StoredEvent>>>([q](PgConn& c) { return ops::events(c, q); });
  }
  Task<Result<std::vector<Pin>>> pins(RoomId room) override {
    return call<Result<std::vector<Pin>>>([=](PgConn& c) { return ops::pins(c, room); });
  }

  // --- room settings and notification levels ---
  Task<Result<SettingsChanged>> changeRoomSettings(SettingsChange s) override {
    return call<Result<SettingsChanged>>(
        [s = std::move(s)](PgConn& c) { return ops::changeRoomSettings(c, s); });
  }
  Task<Status> setNotifications(RoomId room, UserId user, NotifyLevel level, bool muted) override {
    return call<Status>(
        [=](PgConn& c) { return ops::setNotifications(c, room, user, level, muted); });
  }

  // --- threads ---
  Task<Status> setThreadFollow(RoomId room, Seq root, UserId user, bool follow,
                               Millis now) override {
    return call<Status>(
        [=](PgConn& c) { return ops::setThreadFollow(c, room, root, user, follow, now); });
  }
  Task<Result<Seq>> markThreadRead(RoomId room, Seq root, UserId user, Seq seq) override {
    return call<Result<Seq>>(
        [=](PgConn& c) { return ops::markThreadRead(c, room, root, user, seq); });
  }
  Task<Result<std::vector<FollowedThread>>> followedThreads(UserId user, int limit) override {
    return call<Result<std::vector<FollowedThread>>>(
        [=](PgConn& c) { return ops::followedThreads(c, user, limit); });
  }

  // --- files ---
  Task<Status> createFile(FileRecord f) override {
    return call<Status>([f = std::move(f)](PgConn& c) { return ops::createFile(c, f); });
  }
  Task<Result<FileRecord>> fileById(std::string id) override {
    return call<Result<FileRecord>>(
        [id = std::move(id)](PgConn& c) { return ops::fileById(c, id); });
  }
  Task<Result<std::vector<FileRecord>>> filesOfMessage(RoomId room, Seq seq) override {
    return call<Result<std::vector<FileRecord>>>(
        [=](PgConn& c) { return ops::filesOfMessage(c, room, seq); });
  }
  Task<Result<std::vector<FileRecord>>> unattachedFiles(Millis before, int limit) override {
    return call<Result<std::vector<FileRecord>>>(
        [=](PgConn& c) { return ops::unattachedFiles(c, before, limit); });
  }
  Task<Status> deleteUnattachedFile(std::string id) override {
    return call<Status>(
        [id = std::move(id)](PgConn& c) { return ops::deleteUnattachedFile(c, id); });
  }
  Task<Result<UploadUsage>> unattachedUsage(UserId uploader) override {
    return call<Result<UploadUsage>>(
        [uploader](PgConn& c) { return ops::unattachedUsage(c, uploader); });
  }

  // --- deleting rooms ---
  Task<Result<std::vector<UserId>>> deleteRoom(RoomId room, Millis now) override {
    return call<Result<std::vector<UserId>>>(
        [=](PgConn& c) { return ops::deleteRoom(c, room, now); });
  }
  Task<Result<std::vector<RoomId>>> roomsToPurge(int limit) override {
    return call<Result<std::vector<RoomId>>>(
        [limit](PgConn& c) { return ops::roomsToPurge(c, limit); });
  }
  Task<Result<RoomPurge>> purgeRoom(RoomId room, int limit) override {
    return call<Result<RoomPurge>>([=](PgConn& c) { return ops::purgeRoom(c, room, limit); });
  }

  // --- keys ---
  Task<Result<RoomKeyRecord>> roomKey(RoomId room, std::uint32_t version) override {
    return call<Result<RoomKeyRecord>>([=](PgConn& c) { return ops::roomKey(c, room, version); });
  }
  Task<Result<RoomKeyRecord>> latestRoomKey(RoomId room) override {
    return call<Result<RoomKeyRecord>>([room](PgConn& c) { return ops::latestRoomKey(c, room); });
  }
  Task<Status> putRoomKey(RoomKeyRecord k) override {
    return call<Status>([k = std::move(k)](PgConn& c) { return ops::putRoomKey(c, k); });
  }
  Task<Result<std::vector<RoomKeyRecord>>> roomKeysAfter(RoomId room, std::uint32_t version,
                                                         int limit) override {
    return call<Result<std::vector<RoomKeyRecord>>>(
        [=](PgConn& c) { return ops::roomKeysAfter(c, room, version, limit); });
  }
  Task<Status> rewrapRoomKey(RoomKeyRecord k, std::string expected) override {
    return call<Status>([k = std::move(k), e = std::move(expected)](PgConn& c) {
      return ops::rewrapRoomKey(c, k, e);
    });
  }

 private:
  // Runs `body(conn)` on the store's thread with a pooled connection.
  template <class T, class Body>
  Task<T> call(Body body) {
    return onThread<T>(
        [this, b = std::move(body)]() mutable { return withConnection<T>(pool_, std::move(b)); });
  }

  // Runs `body()` (which returns a Task<T>) on the store's thread and completes on the
  // caller's executor, which it keeps busy (outstanding work) meanwhile, as the SQLite
  // adapter's jobs do.
  template <class T, class Body>
  Task<T> onThread(Body body) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
        [this](auto handler, Body b) {
          auto home = asio::prefer(asio::get_associated_executor(handler),
                                   asio::execution::outstanding_work.tracked);
          asio::co_spawn(ioc_, withoutConnection<T>(std::move(b)),
                         [h = std::move(handler), home = std::move(home)](std::exception_ptr e,
                                                                          T result) mutable {
                           // Only std::bad_alloc can escape the ops; it still ends the call
                           // cleanly.
                           if (e)
                             result =
                                 T(makeError(Code::internal, "postgres: unexpected exception"));
                           asio::post(home, [h = std::move(h), r = std::move(result)]() mutable {
                             std::move(h)(std::move(r));
                           });
                         });
        },
        asio::use_awaitable, std::move(body));
  }

  AuditChain chain_;  // set once before the first audit write (Store::setAuditChain)
  // Declared first, destroyed last: the pool's sockets and timers belong to it.
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  Pool pool_;
  Appender appender_;
  std::thread thread_;
};

}  // namespace

Status checkPostgresUrl(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options) {
    PQconninfoFree(options);
    return {};
  }
  std::string why = error ? error : "cannot parse the connection string";
  PQfreemem(error);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  std::replace(why.begin(), why.end(), '\n', ' ');
  // libpq quotes the part it could not read, which may be the password: never echo it.
  auto quote = why.find('"');
  if (quote != std::string::npos) why = why.substr(0, quote) + "(value not shown)";
  return makeError(Code::bad_request, why);
}

int postgresSchemaVersion() { return schemaVersion(); }

Result<int> migratePostgres(const std::string& url) { return migrate(url); }

Result<int> postgresStoredSchemaVersion(const std::string& url) { return currentVersion(url); }

Result<StorePtr> openPostgresStore(const std::string& url, PostgresOptions opts) {
  auto version = opts.migrate ? migrate(url) : currentVersion(url);
  if (!version) return version.error();
  if (*version < schemaVersion()) {
    return makeError(Code::internal, "postgres schema version " + std::to_string(*version) +
                                         " is older than this build's " +
                                         std::to_string(schemaVersion()) +
                                         "; open with migration enabled");
  }
  return StorePtr(std::make_unique<PostgresStore>(url, opts));
}

}  // namespace parley::postgres
