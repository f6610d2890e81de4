#include <algorithm>
#include <cctype>

#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

const char* const kUserSelect =
    "SELECT id, username, password_hash, created_at, disabled, is_admin FROM users ";

namespace {

constexpr const char* kSessionSelect =
    "SELECT id, user_id, token_hash, device, ip, created_at, last_seen_at FROM sessions ";

}  // namespace

User readUser(const Stmt& st) {
  return User{.id = st.int64(0),
              .username = st.text(1),
              .password_hash = st.text(2),
              .created_at = st.int64(3),
              .disabled = st.boolean(4),
              .admin = st.boolean(5)};
}

namespace {

Session readSession(const Stmt& st) {
  return Session{.id = st.int64(0),
                 .user_id = st.int64(1),
                 .token_hash = st.blob(2),
                 .device = st.text(3),
                 .ip = st.text(4),
                 .created_at = st.int64(5),
                 .last_seen_at = st.int64(6)};
}

Result<User> oneUser(Stmt& st) {
  if (!st.step()) return makeError(Code::not_found, "user not found");
  return readUser(st);
}

}  // namespace

Result<User> createUser(Db& db, const std::string& username, const std::string& password_hash,
                        Millis now) {
  Stmt st = db.prepare(
      "INSERT INTO users(username, username_lower, password_hash, created_at) "
      "VALUES (?, ?, ?, ?) RETURNING id");
  try {
    st.bind(username, usernameKey(username), password_hash, now).step();
  } catch (const SqliteError& e) {
    if (e.error().code != Code::conflict) throw;
    return makeError(Code::conflict, "username is taken");
  }
  return User{.id = st.int64(0),
              .username = username,
              .password_hash = password_hash,
              .created_at = now,
              .disabled = false};
}

Result<User> userByName(Db& db, const std::string& username) {
  Stmt st = db.prepare(std::string(kUserSelect) + "WHERE username_lower = ?");
  st.bind(usernameKey(username));
  return oneUser(st);
}

Result<User> userById(Db& db, UserId id) {
  Stmt st = db.prepare(std::string(kUserSelect) + "WHERE id = ?");
  st.bind(id);
  return oneUser(st);
}

Result<Session> createSession(Db& db, const Session& s) {
  Stmt st = db.prepare(
      "INSERT INTO sessions(user_id, token_hash, device, ip, created_at, last_seen_at) "
      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
  st.bind(s.user_id, Blob{s.token_hash}, s.device, s.ip, s.created_at, s.last_seen_at).step();
  Session created = s;
  created.id = st.int64(0);
  return created;
}

Result<Session> sessionByTokenHash(Db& db, const std::string& token_hash) {
  Stmt st = db.prepare(std::string(kSessionSelect) + "WHERE token_hash = ?");
  st.bind(Blob{token_hash});
  if (!st.step()) return makeError(Code::not_found, "session not found");
  return readSession(st);
}

Status touchSession(Db& db, SessionId id, Millis now, const std::string& ip) {
  // max(): a late, out-of-order touch never moves last_seen_at back.
  db.prepare("UPDATE sessions SET last_seen_at = max(last_seen_at, ?), ip = ? WHERE id = ?")
      .bind(now, ip, id)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "session not found");
  return {};
}

Result<std::vector<Session>> sessionsOf(Db& db, UserId user) {
  Stmt st = db.prepare(std::string(kSessionSelect) + "WHERE user_id = ? ORDER BY id");
  st.bind(user);
  std::vector<Session> out;
  while (st.step()) out.push_back(readSession(st));
  return out;
}

Status deleteSession(Db& db, UserId user, SessionId id) {
  db.prepare("DELETE FROM sessions WHERE id = ? AND user_id = ?").bind(id, user).run();
  if (db.changes() == 0) return makeError(Code::not_found, "session not found");
  return {};
}

Status setUserDisabled(Db& db, UserId id, bool disabled) {
  db.prepare("UPDATE users SET disabled = ? WHERE id = ?").bind(disabled, id).run();
  if (db.changes() == 0) return makeError(Code::not_found, "user not found");
  return {};
}

}  // namespace parley::sqlite::ops
