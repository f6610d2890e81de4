// Accounts and sessions: register, log in from many devices, authenticate a token, list and
// revoke sessions. Revocation is published on the user's bus topic so every node closes
// that session's sockets at once.
//
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crypto/password_hasher.h"
#include "ports/bus.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/password_reset.h"
#include "service/shared_secrets.h"
#include "service/users.h"

namespace parley {

class AccountService {
 public:
  // `secrets` holds the key that binds cached sessions to their tokens (session_mac.h).
  AccountService(Store& store, Cache& cache, Bus& bus, crypto::PasswordHasher& hasher,
                 UserDirectory& users, SharedSecrets& secrets, const Clock& clock,
                 const ServiceLimits& limits)
      : store_(store),
        cache_(cache),
        bus_(bus),
        hasher_(hasher),
        users_(users),
        secrets_(secrets),
        clock_(clock),
        limits_(limits) {}

  static Status checkUsername(std::string_view name);
  static Status checkPassword(std::string_view password);

  // rate_limited (with retry_after_s) beyond the registration limits, before any hashing.
  Task<Result<User>> registerUser(std::string username, std::string password, std::string ip);

  struct Login {
    std::string token;  // shown once, never stored
    Session session;
    User user;
  };
  Task<Result<Login>> login(std::string username, std::string password, std::string device,
                            std::string ip);
  // unauthorized for an unknown, revoked or expired token. A cached entry counts only if
  // its MAC binds it to this token (else it is a miss, counted, and the Store answers).
  Task<Result<AuthContext>> authenticate(std::string_view token, std::string ip);

  Task<Status> logout(const AuthContext& ctx);
  Task<Result<std::vector<Session>>> sessions(const AuthContext& ctx);
  Task<Status> revoke(const AuthContext& ctx, SessionId id);
  Task<Result<User>> userByName(std::string username);

  // The caller's own audit trail, newest first.
  Task<Result<std::vector<AuditEvent>>> auditTrail(const AuthContext& ctx, int limit);
  // Every account's (admins only: forbidden otherwise).
  Task<Result<std::vector<AuditEvent>>> auditTrailAll(const AuthContext& ctx, int limit);
  // A server admin: the role in the Store (read there, not from a cached session, so a
  // revoked role counts at once), or a name given with --admin. forbidden otherwise.
  Task<Status> requireAdmin(const AuthContext& ctx);
  // Deletes audit rows older than the retention (ServiceLimits::audit_retention_ms; 0 keeps
  // them forever); returns how many. The composition root calls it periodically.
  Task<Result<std::int64_t>> pruneAudit();

  static constexpr Millis kAuditCountWindowMs = 60'000;
  // Admins only. Disabling ends every session of the account and closes its sockets on
  // every node; the account cannot log in until enabled again.
  Task<Status> setDisabled(const AuthContext& admin, std::string username, bool disabled);

  // --- passwords (account_people.cpp) ---
  // Needs the current password (wrong_password if it is not); rate limited like logins.
  // Ends every other session of the account (their sockets close with 4001 on every node).
  Task<Status> changePassword(const AuthContext& ctx, std::string current, std::string next,
                              std::string ip);
  // Admins only: a one-time reset link for `username` (password_reset.h).
  Task<Result<ResetLink>> issueResetLink(const AuthContext& admin, std::string username);
  // Spends a reset link: sets the password and ends every session of the account.
  // invalid_reset_link for an unknown, used or expired link (alike); rate limited per address.
  Task<Status> resetPassword(std::string token, std::string password, std::string ip);

 private:
  void publishRevoke(UserId user, SessionId session);
  // Deletes every session of `user` but `keep` (0: all), drops them from the cache and
  // closes their sockets on every node.
  Task<Status> endSessions(UserId user, SessionId keep);
  // Whether `user` is a server admin by name (--admin).
  bool namedAdmin(const User& user) const;
  // The cached entry for `hash` if its MAC holds under `mac_key`; nullopt otherwise.
  Task<std::optional<CachedSession>> cachedSession(const std::string& hash,
                                                   const std::string& mac_key);
  // Caches `s` for `hash`, with its MAC under `mac_key`.
  Task<void> cacheSession(const std::string& hash, CachedSession& s, const std::string& mac_key);
  // Counts one registration against the limits; rate_limited when over.
  Task<Status> admitRegistration(const std::string& ip);
  // Counts one login attempt against the limits; rate_limited (and audited) when over.
  Task<Status> admitLogin(const User* user, const std::string& ip, const std::string& device,
                          bool known_network);
  // Literal kind and detail: no std::string temporaries in co_await calls (g++ 12).
  Task<void> audit(UserId user, const char* kind, const std::string& ip, const std::string& device,
                   const char* detail = "");
  // A refused attempt, counted into one row per account, kind, network and detail per
  // kAuditCountWindowMs (Store::countAudit): a flood costs rows per minute, not per guess.
  Task<void> auditRefusal(UserId user, const char* kind, const std::string& ip,
                          const std::string& device, const char* detail);

  Store& store_;
  Cache& cache_;
  Bus& bus_;
  crypto::PasswordHasher& hasher_;
  UserDirectory& users_;
  SharedSecrets& secrets_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley
