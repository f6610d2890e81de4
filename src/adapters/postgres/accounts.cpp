#include <algorithm>
#include <cctype>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

const char* const kUserSelect =
    "SELECT id, username, password_hash, created_at, disabled, is_admin FROM users ";

namespace {

constexpr const char* kSessionSelect =
    "SELECT id, user_id, token_hash, device, ip, created_at, last_seen_at FROM sessions ";

}  // namespace

User readUser(const PgResult& r, int row) {
  return User{.id = r.int64(row, 0),
              .username = r.text(row, 1),
              .password_hash = r.text(row, 2),
              .created_at = r.int64(row, 3),
              .disabled = r.boolean(row, 4),
              .admin = r.boolean(row, 5)};
}

namespace {

Session readSession(const PgResult& r, int row) {
  return Session{.id = r.int64(row, 0),
                 .user_id = r.int64(row, 1),
                 .token_hash = r.text(row, 2),
                 .device = r.text(row, 3),
                 .ip = r.text(row, 4),
                 .created_at = r.int64(row, 5),
                 .last_seen_at = r.int64(row, 6)};
}

Result<User> oneUser(Result<PgResult>& r) {
  if (!r) return r.error();
  if (r->rows() == 0) return makeError(Code::not_found, "user not found");
  return readUser(*r, 0);
}

Status oneChanged(Result<PgResult>& r, const char* what) {
  if (!r) return r.error();
  if (r->affected() == 0) return makeError(Code::not_found, std::string(what) + " not found");
  return {};
}

}  // namespace

Task<Result<User>> createUser(PgConn& c, const std::string& username,
                              const std::string& password_hash, Millis now) {
  const Params p(username, usernameKey(username), password_hash, now);
  auto r = co_await c.query(
      "INSERT INTO users(username, username_lower, password_hash, created_at) "
      "VALUES ($1, $2, $3, $4) RETURNING id",
      p);
  if (!r) {
    if (r.error().code == Code::conflict) co_return makeError(Code::conflict, "username is taken");
    co_return r.error();
  }
  co_return User{.id = r->int64(0, 0),
                 .username = username,
                 .password_hash = password_hash,
                 .created_at = now,
                 .disabled = false};
}

Task<Result<User>> userByName(PgConn& c, const std::string& username) {
  static const std::string sql = std::string(kUserSelect) + "WHERE username_lower = $1";
  const Params p(usernameKey(username));
  auto r = co_await c.query(sql.c_str(), p);
  co_return oneUser(r);
}

Task<Result<User>> userById(PgConn& c, UserId id) {
  static const std::string sql = std::string(kUserSelect) + "WHERE id = $1";
  const Params p(id);
  auto r = co_await c.query(sql.c_str(), p);
  co_return oneUser(r);
}

Task<Result<Session>> createSession(PgConn& c, const Session& s) {
  const Params p(s.user_id, Bytes{s.token_hash}, s.device, s.ip, s.created_at, s.last_seen_at);
  auto r = co_await c.query(
      "INSERT INTO sessions(user_id, token_hash, device, ip, created_at, last_seen_at) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      p);
  if (!r) co_return r.error();
  Session created = s;
  created.id = r->int64(0, 0);
  co_return created;
}

Task<Result<Session>> sessionByTokenHash(PgConn& c, const std::string& token_hash) {
  static const std::string sql = std::string(kSessionSelect) + "WHERE token_hash = $1";
  const Params p(Bytes{token_hash});
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "session not found");
  co_return readSession(*r, 0);
}

Task<Status> touchSession(PgConn& c, SessionId id, Millis now, const std::string& ip) {
  // GREATEST: a late, out-of-order touch never moves last_seen_at back.
  const Params p(now, ip, id);
  auto r = co_await c.query(
      "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1), ip = $2 WHERE id = $3", p);
  co_return oneChanged(r, "session");
}

Task<Result<std::vector<Session>>> sessionsOf(PgConn& c, UserId user) {
  static const std::string sql = std::string(kSessionSelect) + "WHERE user_id = $1 ORDER BY id";
  const Params p(user);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Session> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readSession(*r, i));
  co_return out;
}

Task<Status> deleteSession(PgConn& c, UserId user, SessionId id) {
  const Params p(id, user);
  auto r = co_await c.query("DELETE FROM sessions WHERE id = $1 AND user_id = $2", p);
  co_return oneChanged(r, "session");
}

Task<Status> setUserDisabled(PgConn& c, UserId id, bool disabled) {
  const Params p(disabled, id);
  auto r = co_await c.query("UPDATE users SET disabled = $1 WHERE id = $2", p);
  co_return oneChanged(r, "user");
}

}  // namespace parley::postgres::ops
