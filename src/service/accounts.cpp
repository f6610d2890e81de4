#include "service/accounts.h"

#include <algorithm>

#include "crypto/tokens.h"
#include "service/envelope.h"

namespace parley {

Status AccountService::checkUsername(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  bool ok = name.size() >= 3 && name.size() <= 32 &&
            std::all_of(name.begin(), name.end(), ok_char) &&
            std::isalnum(static_cast<unsigned char>(name.front()));
  if (!ok) {
    return makeError(Code::invalid_username,
                     "username must be 3-32 characters of A-Z a-z 0-9 _ . - starting with a "
                     "letter or digit");
  }
  return {};
}

Status AccountService::checkPassword(std::string_view password) {
  if (password.size() < 8 || password.size() > 1024) {
    return makeError(Code::weak_password, "password must be 8 to 1024 bytes");
  }
  return {};
}

Task<Result<User>> AccountService::registerUser(std::string username, std::string password) {
  if (auto ok = checkUsername(username); !ok) co_return ok.error();
  if (auto ok = checkPassword(password); !ok) co_return ok.error();
  auto hash = co_await hasher_.hash(std::move(password));
  if (!hash) co_return hash.error();
  auto user = co_await store_.createUser(std::move(username), std::move(*hash), clock_.now());
  if (!user && user.error().code == Code::conflict) {
    co_return makeError(Code::conflict, "username is taken");
  }
  if (user) users_.remember(user->id, user->username);
  co_return user;
}

Task<Result<AccountService::Login>> AccountService::login(std::string username,
                                                          std::string password, std::string device,
                                                          std::string ip) {
  auto user = co_await store_.userByName(username);
  if (!user) {
    if (user.error().code != Code::not_found) co_return user.error();
    auto burned = co_await hasher_.burn(std::move(password));  // same time as a real check
    if (!burned) co_return burned.error();
    co_return makeError(Code::bad_credentials, "wrong username or password");
  }
  auto ok = co_await hasher_.verify(user->password_hash, std::move(password));
  if (!ok) co_return ok.error();
  if (!*ok || user->disabled)
    co_return makeError(Code::bad_credentials, "wrong username or password");

  auto token = crypto::newSessionToken();
  Session s;
  s.user_id = user->id;
  s.token_hash = token.hash;
  s.device = device.empty() ? "unknown" : device.substr(0, 100);
  s.ip = std::move(ip);
  s.created_at = s.last_seen_at = clock_.now();
  auto saved = co_await store_.createSession(std::move(s));
  if (!saved) co_return saved.error();
  users_.remember(user->id, user->username);
  co_return Login{std::move(token.token), std::move(*saved), std::move(*user)};
}

Task<Result<AuthContext>> AccountService::authenticate(std::string_view token, std::string ip) {
  if (token.empty() || token.size() > 128) co_return makeError(Code::unauthorized, "bad token");
  std::string hash = crypto::hashToken(token);  // named: see room_keys.cpp on g++ 12
  auto s = co_await store_.sessionByTokenHash(std::move(hash));
  if (!s) {
    if (s.error().code == Code::not_found) co_return makeError(Code::unauthorized, "bad token");
    co_return s.error();
  }
  Millis now = clock_.now();
  if (now - s->last_seen_at > limits_.session_idle_ms ||
      now - s->created_at > limits_.session_max_age_ms) {
    co_await store_.deleteSession(s->user_id, s->id);
    co_return makeError(Code::unauthorized, "session expired");
  }
  auto user = co_await store_.userById(s->user_id);
  if (!user) co_return makeError(Code::unauthorized, "bad token");
  if (user->disabled) co_return makeError(Code::unauthorized, "account disabled");
  if (now - s->last_seen_at > limits_.session_touch_every_ms || s->ip != ip) {
    s->last_seen_at = now;
    s->ip = ip;
    co_await store_.touchSession(s->id, now, std::move(ip));
  }
  co_return AuthContext{std::move(*user), std::move(*s)};
}

void AccountService::publishRevoke(UserId user, SessionId session) {
  Envelope env{FrameKind::revoke, 0, session, user};
  bus_.publish(userTopic(user), encodeEnvelope(env, R"({"type":"session_revoked"})"));
}

Task<Status> AccountService::logout(const AuthContext& ctx) {
  auto done = co_await store_.deleteSession(ctx.user.id, ctx.session.id);
  if (done) publishRevoke(ctx.user.id, ctx.session.id);
  co_return done;
}

Task<Result<std::vector<Session>>> AccountService::sessions(const AuthContext& ctx) {
  auto list = co_await store_.sessionsOf(ctx.user.id);
  if (list) {
    std::sort(list->begin(), list->end(),
              [](const Session& a, const Session& b) { return a.created_at > b.created_at; });
  }
  co_return list;
}

Task<Status> AccountService::revoke(const AuthContext& ctx, SessionId id) {
  auto done = co_await store_.deleteSession(ctx.user.id, id);
  if (done) publishRevoke(ctx.user.id, id);
  co_return done;
}

Task<Result<User>> AccountService::userByName(std::string username) {
  auto user = co_await store_.userByName(std::move(username));
  if (!user && user.error().code == Code::not_found) {
    co_return makeError(Code::not_found, "no such user");
  }
  co_return user;
}

}  // namespace parley
