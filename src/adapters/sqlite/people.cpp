// Server admins, password hashes and reset links (Store "people" methods).
#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

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
