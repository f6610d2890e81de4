// Sign-up invites and TOTP second factors (Store "sign-up" and "two-factor" methods).
#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

constexpr const char* kInviteSelect =
    "SELECT id, token_hash, created_by, created_at, expires_at, max_uses, uses, room_id, "
    "revoked_at FROM invites ";

Invite readInvite(const PgResult& r, int row) {
  return Invite{.id = r.int64(row, 0),
                .token_hash = r.text(row, 1),
                .created_by = r.int64(row, 2),
                .created_at = r.int64(row, 3),
                .expires_at = r.int64(row, 4),
                .max_uses = static_cast<int>(r.int64(row, 5)),
                .uses = static_cast<int>(r.int64(row, 6)),
                .room_id = r.int64(row, 7),
                .revoked_at = r.int64(row, 8)};
}

Status changedOr(Result<PgResult>& r, Code code, const char* message) {
  if (!r) return r.error();
  if (r->affected() == 0) return makeError(code, message);
  return {};
}

}  // namespace

Task<Result<Invite>> createInvite(PgConn& c, const Invite& i) {
  const Params p(Bytes{i.token_hash}, i.created_by, i.created_at, i.expires_at, i.max_uses,
                 i.room_id);
  auto r = co_await c.query(
      "INSERT INTO invites(token_hash, created_by, created_at, expires_at, max_uses, room_id) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      p);
  if (!r) co_return r.error();
  Invite out = i;
  out.id = r->int64(0, 0);
  co_return out;
}

Task<Result<std::vector<Invite>>> invites(PgConn& c, int limit) {
  static const std::string sql = std::string(kInviteSelect) + "ORDER BY id DESC LIMIT $1";
  const Params p(static_cast<std::int64_t>(limit));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Invite> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readInvite(*r, i));
  co_return out;
}

Task<Status> revokeInvite(PgConn& c, std::int64_t id, Millis now) {
  const Params p(now, id);
  auto r =
      co_await c.query("UPDATE invites SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0", p);
  co_return changedOr(r, Code::not_found, "no such invite");
}

// One statement: the use is spent only if the insert succeeds (a taken name fails the whole
// statement), and the row lock the UPDATE takes makes a second sign-up for the last use
// re-check `uses < max_uses` against the first one's commit.
Task<Result<InvitedUser>> createInvitedUser(PgConn& c, const std::string& token_hash,
                                            const std::string& username,
                                            const std::string& password_hash, Millis now) {
  const Params p(Bytes{token_hash}, now, username, usernameKey(username), password_hash);
  auto r = co_await c.query(
      "WITH spent AS (UPDATE invites SET uses = uses + 1 WHERE token_hash = $1 "
      "  AND revoked_at = 0 AND expires_at > $2 AND uses < max_uses RETURNING room_id), "
      "made AS (INSERT INTO users(username, username_lower, password_hash, created_at) "
      "  SELECT $3, $4, $5, $2 FROM spent RETURNING id) "
      "SELECT made.id, spent.room_id FROM made, spent",
      p);
  if (!r) {
    if (r.error().code == Code::conflict) co_return makeError(Code::conflict, "username is taken");
    co_return r.error();
  }
  if (r->rows() == 0) co_return makeError(Code::not_found, "no such invite");
  User user{.id = r->int64(0, 0),
            .username = username,
            .password_hash = password_hash,
            .created_at = now,
            .disabled = false};
  co_return InvitedUser{std::move(user), r->int64(0, 1)};
}

Task<Status> putPendingTotp(PgConn& c, UserId user, const std::string& sealed, Millis now) {
  const Params p(user, Bytes{sealed}, now);
  auto r = co_await c.query(
      "INSERT INTO user_totp(user_id, sealed_secret, created_at) "
      "SELECT id, $2, $3 FROM users WHERE id = $1 "
      "ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, "
      "created_at = excluded.created_at, recovery = '' WHERE user_totp.enabled = false "
      "RETURNING user_id",
      p);
  if (!r) co_return r.error();
  if (r->rows() > 0) co_return Status{};
  auto u = co_await userById(c, user);
  if (!u) co_return u.error();
  co_return makeError(Code::conflict, "two-factor sign-in is on already");
}

Task<Result<TotpRecord>> totpOf(PgConn& c, UserId user) {
  const Params p(user);
  auto r = co_await c.query(
      "SELECT sealed_secret, enabled, last_step, recovery, created_at FROM user_totp "
      "WHERE user_id = $1",
      p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no second factor");
  co_return TotpRecord{.sealed_secret = r->text(0, 0),
                       .enabled = r->boolean(0, 1),
                       .last_step = r->int64(0, 2),
                       .recovery = r->text(0, 3),
                       .created_at = r->int64(0, 4)};
}

Task<Status> enableTotp(PgConn& c, UserId user, std::int64_t step, const std::string& recovery) {
  const Params p(step, Bytes{recovery}, user);
  auto r = co_await c.query(
      "UPDATE user_totp SET enabled = true, last_step = $1, recovery = $2 "
      "WHERE user_id = $3 AND enabled = false",
      p);
  co_return changedOr(r, Code::conflict, "no pending second factor");
}

Task<Status> useTotpStep(PgConn& c, UserId user, std::int64_t step) {
  const Params p(step, user);
  auto r = co_await c.query(
      "UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND enabled AND last_step < $1", p);
  co_return changedOr(r, Code::conflict, "code used already");
}

Task<Status> replaceRecovery(PgConn& c, UserId user, const std::string& expected,
                             const std::string& next) {
  const Params p(Bytes{next}, user, Bytes{expected});
  auto r = co_await c.query(
      "UPDATE user_totp SET recovery = $1 WHERE user_id = $2 AND enabled AND recovery = $3", p);
  co_return changedOr(r, Code::conflict, "recovery codes changed");
}

Task<Status> deleteTotp(PgConn& c, UserId user) {
  const Params p(user);
  auto r = co_await c.query("DELETE FROM user_totp WHERE user_id = $1", p);
  co_return changedOr(r, Code::not_found, "no second factor");
}

}  // namespace parley::postgres::ops
