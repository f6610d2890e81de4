// AccountService: password change, reset links, and ending an account's sessions.
#include <algorithm>

#include "core/metrics.h"
#include "crypto/tokens.h"
#include "service/accounts.h"

namespace parley {

namespace {

Error limited(std::string message, int retry_after_s) {
  Error e{Code::rate_limited, std::move(message)};
  e.retry_after_s = std::max(1, retry_after_s);
  return e;
}

}  // namespace

Task<Status> AccountService::endSessions(UserId user, SessionId keep) {
  auto list = co_await store_.sessionsOf(user);
  if (!list) co_return list.error();
  for (const Session& s : *list) {
    if (s.id == keep) continue;
    co_await store_.deleteSession(user, s.id);
    // Dropped from the cache before the sockets are told: no node can re-admit the token.
    co_await cache_.dropSession(s.token_hash);
    if (keep != 0) publishRevoke(user, s.id);
  }
  if (keep == 0) publishRevoke(user, 0);  // 0: every session of the user, on every node
  co_return Status{};
}

// Limited like a login from this address (a stolen session must not become an oracle for
// guessing the password), checked before any hashing.
Task<Status> AccountService::changePassword(const AuthContext& ctx, std::string current,
                                            std::string next, std::string ip) {
  if (auto ok = checkPassword(next); !ok) co_return ok.error();
  const std::string& device = ctx.session.device;
  auto admitted = co_await admitLogin(&ctx.user, ip, device, true);
  if (!admitted) co_return admitted.error();
  auto user = co_await store_.userById(ctx.user.id);  // the hash is never cached
  if (!user) co_return user.error();
  auto ok = co_await hasher_.verify(user->password_hash, std::move(current));
  if (!ok) co_return ok.error();
  if (!*ok) {
    co_await auditRefusal(user->id, "password_change_failed", ip, device, "wrong password");
    co_return makeError(Code::wrong_password, "the current password is wrong");
  }
  auto hash = co_await hasher_.hash(std::move(next));
  if (!hash) co_return hash.error();
  auto set = co_await store_.setPasswordHash(user->id, std::move(*hash));
  if (!set) co_return set.error();
  co_await audit(user->id, "password_changed", ip, device);
  co_return co_await endSessions(user->id, ctx.session.id);
}

Task<Result<ResetLink>> AccountService::issueResetLink(const AuthContext& admin,
                                                       std::string username) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  const Millis now = clock_.now();
  auto link = co_await parley::issueResetLink(store_, user->id, now);
  if (!link) co_return link.error();
  co_await audit(user->id, "password_reset_link", admin.session.ip, admin.session.device,
                 "issued by a server admin");
  co_return link;
}

// The address is limited as for logins before anything is hashed; an unknown, used and
// expired link get the same answer, which says nothing about the account.
Task<Status> AccountService::resetPassword(std::string token, std::string password,
                                           std::string ip) {
  std::string key = "reset:ip:" + ip;
  const Millis now = clock_.now();
  auto hit = co_await cache_.hit(std::move(key), limits_.login_per_ip_per_minute, 60'000, now);
  if (!hit.allowed) {
    metrics().logins_locked.inc();
    co_return limited("too many password reset attempts from this address",
                      static_cast<int>(hit.retry_after_ms / 1000));
  }
  if (auto ok = checkPassword(password); !ok) co_return ok.error();
  Error invalid{Code::invalid_reset_link,
                "this reset link is not valid: it was used, expired "
                "or replaced; ask an admin for a new one"};
  if (token.empty() || token.size() > 128) co_return invalid;
  auto hash = co_await hasher_.hash(std::move(password));
  if (!hash) co_return hash.error();
  std::string token_hash = crypto::hashToken(token);
  auto used = co_await store_.usePasswordReset(std::move(token_hash), now, std::move(*hash));
  if (!used && used.error().code != Code::not_found) co_return used.error();
  const std::string device = "password reset link";
  if (!used) {
    co_await auditRefusal(0, "password_reset_failed", ip, device, "unknown, used or expired");
    co_return invalid;
  }
  co_await audit(*used, "password_reset", ip, device);
  co_return co_await endSessions(*used, 0);
}

}  // namespace parley
