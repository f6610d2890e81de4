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
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/users.h"

namespace parley {

class AccountService {
 public:
  AccountService(Store& store, Bus& bus, crypto::PasswordHasher& hasher, UserDirectory& users,
                 const Clock& clock, const ServiceLimits& limits)
      : store_(store), bus_(bus), hasher_(hasher), users_(users), clock_(clock), limits_(limits) {}

  static Status checkUsername(std::string_view name);
  static Status checkPassword(std::string_view password);

  Task<Result<User>> registerUser(std::string username, std::string password);

  struct Login {
    std::string token;  // shown once, never stored
    Session session;
    User user;
  };
  Task<Result<Login>> login(std::string username, std::string password, std::string device,
                            std::string ip);
  // unauthorized for an unknown, revoked or expired token.
  Task<Result<AuthContext>> authenticate(std::string_view token, std::string ip);

  Task<Status> logout(const AuthContext& ctx);
  Task<Result<std::vector<Session>>> sessions(const AuthContext& ctx);
  Task<Status> revoke(const AuthContext& ctx, SessionId id);
  Task<Result<User>> userByName(std::string username);

 private:
  void publishRevoke(UserId user, SessionId session);

  Store& store_;
  Bus& bus_;
  crypto::PasswordHasher& hasher_;
  UserDirectory& users_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley
