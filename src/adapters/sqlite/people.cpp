// Server admins, password hashes and reset links (Store "people" methods).
#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

Error lastAdmin() {
  return makeError(Code::conflict, "the last server admin cannot lose the role");
}

}  // namespace

std::string likePrefix(std::string_view prefix) {
  std::string out;
  for (char ch : prefix) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  return out + '%';
}

Result<std::vector<User>> usersPage(Db& db, UserId after, int limit) {
  Stmt st = db.prepare(std::string(kUserSelect) + "WHERE id > ? ORDER BY id LIMIT ?");
  st.bind(after, limit);
  std::vector<User> out;
  while (st.step()) out.push_back(readUser(st));
  return out;
}

Status setUserAdmin(Db& db, UserId id, bool admin) {
  db.prepare("UPDATE users SET is_admin = ? WHERE id = ?").bind(admin, id).run();
  if (db.changes() == 0) return makeError(Code::not_found, "user not found");
  return {};
}

// One statement on the one writer: no other change to the role runs between the count and
// the update.
Status revokeAdminUnlessLast(Db& db, UserId id) {
  Stmt exists = db.prepare("SELECT is_admin, disabled FROM users WHERE id = ?");
  exists.bind(id);
  if (!exists.step()) return makeError(Code::not_found, "user not found");
  if (!exists.boolean(0)) return {};
  db.prepare(
        "UPDATE users SET is_admin = 0 WHERE id = ? AND "
        "(SELECT count(*) FROM users WHERE is_admin = 1 AND disabled = 0 AND id <> ?) > 0")
      .bind(id, id)
      .run();
  if (db.changes() == 0) return lastAdmin();
  return {};
}

Result<std::vector<UserListing>> searchUsers(Db& db, const std::string& prefix, UserId after,
                                             int limit) {
  Stmt st = db.prepare(
      "SELECT u.id, u.username, '', u.created_at, u.disabled, u.is_admin, "
      "COALESCE((SELECT t.enabled FROM user_totp t WHERE t.user_id = u.id), 0), "
      "COALESCE((SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id), 0) "
      "FROM users u WHERE u.username_lower LIKE ? ESCAPE '\\' AND u.id > ? "
      "ORDER BY u.id LIMIT ?");
  st.bind(likePrefix(prefix), after, limit);
  std::vector<UserListing> out;
  while (st.step()) {
    out.push_back(
        UserListing{.user = readUser(st), .totp_enabled = st.boolean(6), .last_seen = st.int64(7)});
  }
  return out;
}

Result<bool> claimFirstAdmin(Db& db, UserId id) {
  db.prepare(
        "UPDATE users SET is_admin = 1 WHERE id = ? "
        "AND NOT EXISTS (SELECT 1 FROM users WHERE id <> ?)")
      .bind(id, id)
      .run();
  return db.changes() > 0;
}

Status setPasswordHash(Db& db, UserId id, const std::string& password_hash) {
  db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").bind(password_hash, id).run();
  if (db.changes() == 0) return makeError(Code::not_found, "user not found");
  return {};
}

Status createPasswordReset(Db& db, UserId user, const std::string& token_hash, Millis now,
                           Millis expires_at) {
  Stmt exists = db.prepare("SELECT 1 FROM users WHERE id = ?");
  exists.bind(user);
  if (!exists.step()) return makeError(Code::not_found, "user not found");
  db.prepare("DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL").bind(user).run();
  db.prepare(
        "INSERT INTO password_resets(token_hash, user_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)")
      .bind(Blob{token_hash}, user, now, expires_at)
      .run();
  return {};
}

Result<UserId> usePasswordReset(Db& db, const std::string& token_hash, Millis now,
                                const std::string& password_hash) {
  Stmt st = db.prepare(
      "UPDATE password_resets SET used_at = ? "
      "WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id");
  st.bind(now, Blob{token_hash}, now);
  if (!st.step()) return makeError(Code::not_found, "no such reset link");
  const UserId user = st.int64(0);  // token_hash is the key: one row at most
  db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").bind(password_hash, user).run();
  return user;
}

}  // namespace parley::sqlite::ops
