// AccountService: the admin console's account screens (docs/api.md "The admin console").
// Each call checks the role first, so a non-admin learns nothing about the names it sends.
#include <algorithm>

#include "crypto/random.h"
#include "service/accounts.h"

namespace parley {

namespace {

// The detail of an audit row an admin's change writes: who did it.
std::string byAdmin(const AuthContext& admin, std::string_view what = "") {
  std::string out(what);
  return out + (out.empty() ? "" : " ") + "by server admin " + admin.user.username;
}

}  // namespace

Task<void> AccountService::auditAdminChange(const AuthContext& admin, UserId subject,
                                            const char* kind, const std::string& detail) {
  AuditEvent e{.user_id = subject,
               .kind = kind,
               .ip = admin.session.ip,
               .device = admin.session.device,
               .detail = detail,
               .at = clock_.now()};
  co_await store_.recordAudit(std::move(e));  // best effort, as every audit row
}

Task<Result<std::vector<UserListing>>> AccountService::listUsers(const AuthContext& admin,
                                                                 std::string q, UserId after,
                                                                 int limit) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  if (q.size() > kAdminQueryMax)
    co_return makeError(Code::bad_request, "q must be at most 64 bytes");
  co_return co_await store_.searchUsers(std::move(q), after, std::clamp(limit, 1, kAdminPageMax));
}

Task<Result<AccountService::CreatedUser>> AccountService::createUserAsAdmin(
    const AuthContext& admin, std::string username, std::optional<std::string> password,
    bool make_admin) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  if (auto ok = checkUsername(username); !ok) co_return ok.error();
  if (password) {
    if (auto ok = checkPassword(*password); !ok) co_return ok.error();
  }
  // Without a password: 256 random bits nobody is told, replaced through the reset link.
  std::string secret = password ? std::move(*password) : crypto::base64url(crypto::randomBytes(32));
  auto hash = co_await hasher_.hash(std::move(secret));
  if (!hash) co_return hash.error();
  auto user = co_await store_.createUser(std::move(username), std::move(*hash), clock_.now());
  if (!user && user.error().code == Code::conflict)
    co_return makeError(Code::conflict, "username is taken");
  if (!user) co_return user.error();
  users_.remember(user->id, user->username);
  std::string detail = byAdmin(admin);  // (g++ 12: src/README.md)
  co_await auditAdminChange(admin, user->id, "account_created", detail);
  if (make_admin) {
    auto granted = co_await store_.setUserAdmin(user->id, true);
    if (!granted) co_return granted.error();
    user->admin = true;
    co_await auditAdminChange(admin, user->id, "admin_granted", detail);
  }
  CreatedUser made{.user = std::move(*user)};
  made.user.password_hash.clear();
  if (!password) {
    auto link = co_await parley::issueResetLink(store_, made.user.id, clock_.now());
    if (!link) co_return link.error();
    made.link = std::move(*link);
    std::string issued = byAdmin(admin, "issued");  // (g++ 12: src/README.md)
    co_await auditAdminChange(admin, made.user.id, "password_reset_link", issued);
  }
  co_return made;
}

Task<Status> AccountService::setAdminRole(const AuthContext& admin, std::string username,
                                          bool grant) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  if (user->admin == grant) co_return Status{};  // nothing changes, nothing to audit
  Status set;
  if (grant) {
    set = co_await store_.setUserAdmin(user->id, true);
  } else {
    set = co_await store_.revokeAdminUnlessLast(user->id);
  }
  if (!set && set.error().code == Code::conflict) {
    co_return makeError(Code::conflict,
                        "this is the last server admin: make another account admin first");
  }
  if (!set) co_return set.error();
  std::string detail = byAdmin(admin);  // (g++ 12: src/README.md)
  co_await auditAdminChange(admin, user->id, grant ? "admin_granted" : "admin_revoked", detail);
  co_return Status{};
}

Task<Result<std::vector<Session>>> AccountService::sessionsOf(const AuthContext& admin,
                                                              std::string username) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  auto list = co_await store_.sessionsOf(user->id);
  if (list) {
    std::sort(list->begin(), list->end(),
              [](const Session& a, const Session& b) { return a.created_at > b.created_at; });
  }
  co_return list;
}

Task<Status> AccountService::endSessionOf(const AuthContext& admin, std::string username,
                                          SessionId id) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  auto list = co_await store_.sessionsOf(user->id);
  if (!list) co_return list.error();
  auto it = std::find_if(list->begin(), list->end(), [id](const Session& s) { return s.id == id; });
  if (it == list->end()) co_return makeError(Code::not_found, "session not found");
  auto done = co_await store_.deleteSession(user->id, id);
  if (!done) co_return done;
  // Dropped from the cache before the sockets are told: no node can re-admit the token.
  co_await cache_.dropSession(it->token_hash);
  publishRevoke(user->id, id);
  std::string detail =
      byAdmin(admin, "session " + std::to_string(id) + " (" + it->device + ") ended");
  co_await auditAdminChange(admin, user->id, "session_ended", detail);
  co_return Status{};
}

}  // namespace parley
