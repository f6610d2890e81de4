// Server admins, password hashes and reset links (Store "people" methods).
#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

Status oneChanged(Result<PgResult>& r) {
  if (!r) return r.error();
  if (r->affected() == 0) return makeError(Code::not_found, "user not found");
  return {};
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

// The other enabled admins are locked in id order before the count (so two admins removing
// each other at once serialise, without a deadlock): the second sees the first's change.
Task<Status> revokeAdminUnlessLast(PgConn& c, UserId id) {
  const Params p(id);
  auto found = co_await c.query("SELECT is_admin FROM users WHERE id = $1", p);
  if (!found) co_return found.error();
  if (found->rows() == 0) co_return makeError(Code::not_found, "user not found");
  if (!found->boolean(0, 0)) co_return Status{};
  auto r = co_await c.query(
      "WITH admins AS MATERIALIZED (SELECT id FROM users WHERE is_admin AND NOT disabled "
      "ORDER BY id FOR UPDATE) "
      "UPDATE users SET is_admin = false WHERE id = $1 AND is_admin "
      "AND (SELECT count(*) FROM admins WHERE id <> $1) > 0",
      p);
  if (!r) co_return r.error();
  if (r->affected() == 0)
    co_return makeError(Code::conflict, "the last server admin cannot lose the role");
  co_return Status{};
}

Task<Result<std::vector<UserListing>>> searchUsers(PgConn& c, const std::string& prefix,
                                                   UserId after, int limit) {
  const Params p(likePrefix(prefix), after, static_cast<std::int64_t>(limit));
  auto r = co_await c.query(
      "SELECT u.id, u.username, '', u.created_at, u.disabled, u.is_admin, "
      "COALESCE((SELECT t.enabled FROM user_totp t WHERE t.user_id = u.id), false), "
      "COALESCE((SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id), 0) "
      "FROM users u WHERE u.username_lower LIKE $1 ESCAPE '\\' AND u.id > $2 "
      "ORDER BY u.id LIMIT $3",
      p);
  if (!r) co_return r.error();
  std::vector<UserListing> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(UserListing{
        .user = readUser(*r, i), .totp_enabled = r->boolean(i, 6), .last_seen = r->int64(i, 7)});
  }
  co_return out;
}

Task<Result<std::vector<User>>> usersPage(PgConn& c, UserId after, int limit) {
  static const std::string sql = std::string(kUserSelect) + "WHERE id > $1 ORDER BY id LIMIT $2";
  const Params p(after, static_cast<std::int64_t>(limit));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<User> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readUser(*r, i));
  co_return out;
}

Task<Status> setUserAdmin(PgConn& c, UserId id, bool admin) {
  const Params p(admin, id);
  auto r = co_await c.query("UPDATE users SET is_admin = $1 WHERE id = $2", p);
  co_return oneChanged(r);
}

// Each creator calls this after its insert committed, so two accounts created at once each
// see the other and neither is made admin (never two).
Task<Result<bool>> claimFirstAdmin(PgConn& c, UserId id) {
  const Params p(id);
  auto r = co_await c.query(
      "UPDATE users SET is_admin = true WHERE id = $1 "
      "AND NOT EXISTS (SELECT 1 FROM users WHERE id <> $1)",
      p);
  if (!r) co_return r.error();
  co_return r->affected() > 0;
}

Task<Status> setPasswordHash(PgConn& c, UserId id, const std::string& password_hash) {
  const Params p(password_hash, id);
  auto r = co_await c.query("UPDATE users SET password_hash = $1 WHERE id = $2", p);
  co_return oneChanged(r);
}

// One transaction (a pipeline): the user's unused links go, the new one is stored (taken
// from the users row, so none is stored for a user that does not exist).
Task<Status> createPasswordReset(PgConn& c, UserId user, const std::string& token_hash, Millis now,
                                 Millis expires_at) {
  std::vector<Statement> st;
  st.push_back(
      {"DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL", Params(user)});
  st.push_back(
      {"INSERT INTO password_resets(token_hash, user_id, created_at, expires_at) "
       "SELECT $1, id, $3, $4 FROM users WHERE id = $2",
       Params(Bytes{token_hash}, user, now, expires_at)});
  auto r = co_await c.pipeline(st);
  if (!r) co_return r.error();
  if (r->back().affected() == 0) co_return makeError(Code::not_found, "user not found");
  co_return Status{};
}

// One statement: the link is spent and the password set together, or neither.
Task<Result<UserId>> usePasswordReset(PgConn& c, const std::string& token_hash, Millis now,
                                      const std::string& password_hash) {
  const Params p(Bytes{token_hash}, now, password_hash);
  auto r = co_await c.query(
      "WITH spent AS (UPDATE password_resets SET used_at = $2 "
      "  WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id) "
      "UPDATE users SET password_hash = $3 FROM spent WHERE users.id = spent.user_id "
      "RETURNING users.id",
      p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no such reset link");
  co_return r->int64(0, 0);
}

}  // namespace parley::postgres::ops
