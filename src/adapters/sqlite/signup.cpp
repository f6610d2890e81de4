// Sign-up invites and TOTP second factors (Store "sign-up" and "two-factor" methods).
#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

constexpr const char* kInviteSelect =
    "SELECT id, token_hash, created_by, created_at, expires_at, max_uses, uses, room_id, "
    "revoked_at FROM invites ";

Invite readInvite(const Stmt& st) {
  return Invite{.id = st.int64(0),
                .token_hash = st.blob(1),
                .created_by = st.int64(2),
                .created_at = st.int64(3),
                .expires_at = st.int64(4),
                .max_uses = static_cast<int>(st.int64(5)),
                .uses = static_cast<int>(st.int64(6)),
                .room_id = st.int64(7),
                .revoked_at = st.int64(8)};
}

}  // namespace

Result<Invite> createInvite(Db& db, const Invite& i) {
  Stmt st = db.prepare(
      "INSERT INTO invites(token_hash, created_by, created_at, expires_at, max_uses, room_id) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id");
  st.bind(Blob{i.token_hash}, i.created_by, i.created_at, i.expires_at, i.max_uses, i.room_id);
  if (!st.step()) return makeError(Code::conflict, "invite exists");
  Invite out = i;
  out.id = st.int64(0);
  return out;
}

Result<std::vector<Invite>> invites(Db& db, int limit) {
  Stmt st = db.prepare(std::string(kInviteSelect) + "ORDER BY id DESC LIMIT ?");
  st.bind(limit);
  std::vector<Invite> out;
  while (st.step()) out.push_back(readInvite(st));
  return out;
}

Status revokeInvite(Db& db, std::int64_t id, Millis now) {
  db.prepare("UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at = 0")
      .bind(now, id)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "no such invite");
  return {};
}

// One writer runs this whole function in its transaction: the check, the insert and the
// spend cannot interleave with another sign-up.
Result<InvitedUser> createInvitedUser(Db& db, const std::string& token_hash,
                                      const std::string& username, const std::string& password_hash,
                                      Millis now) {
  Stmt st = db.prepare(std::string(kInviteSelect) +
                       "WHERE token_hash = ? AND revoked_at = 0 AND expires_at > ? "
                       "AND uses < max_uses");
  st.bind(Blob{token_hash}, now);
  if (!st.step()) return makeError(Code::not_found, "no such invite");
  const Invite invite = readInvite(st);
  auto user = createUser(db, username, password_hash, now);
  if (!user) return user.error();  // conflict: nothing spent yet
  db.prepare("UPDATE invites SET uses = uses + 1 WHERE id = ?").bind(invite.id).run();
  return InvitedUser{std::move(*user), invite.room_id};
}

Status putPendingTotp(Db& db, UserId user, const std::string& sealed, Millis now) {
  Stmt exists = db.prepare("SELECT 1 FROM users WHERE id = ?");
  exists.bind(user);
  if (!exists.step()) return makeError(Code::not_found, "user not found");
  db.prepare(
        "INSERT INTO user_totp(user_id, sealed_secret, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, "
        "created_at = excluded.created_at, recovery = x'' WHERE user_totp.enabled = 0")
      .bind(user, Blob{sealed}, now)
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "two-factor sign-in is on already");
  return {};
}

Result<TotpRecord> totpOf(Db& db, UserId user) {
  Stmt st = db.prepare(
      "SELECT sealed_secret, enabled, last_step, recovery, created_at FROM user_totp "
      "WHERE user_id = ?");
  st.bind(user);
  if (!st.step()) return makeError(Code::not_found, "no second factor");
  return TotpRecord{.sealed_secret = st.blob(0),
                    .enabled = st.boolean(1),
                    .last_step = st.int64(2),
                    .recovery = st.blob(3),
                    .created_at = st.int64(4)};
}

Status enableTotp(Db& db, UserId user, std::int64_t step, const std::string& recovery) {
  db.prepare(
        "UPDATE user_totp SET enabled = 1, last_step = ?, recovery = ? "
        "WHERE user_id = ? AND enabled = 0")
      .bind(step, Blob{recovery}, user)
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "no pending second factor");
  return {};
}

Status useTotpStep(Db& db, UserId user, std::int64_t step) {
  db.prepare(
        "UPDATE user_totp SET last_step = ? WHERE user_id = ? AND enabled = 1 AND last_step < ?")
      .bind(step, user, step)
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "code used already");
  return {};
}

Status replaceRecovery(Db& db, UserId user, const std::string& expected, const std::string& next) {
  db.prepare("UPDATE user_totp SET recovery = ? WHERE user_id = ? AND enabled = 1 AND recovery = ?")
      .bind(Blob{next}, user, Blob{expected})
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "recovery codes changed");
  return {};
}

Status deleteTotp(Db& db, UserId user) {
  db.prepare("DELETE FROM user_totp WHERE user_id = ?").bind(user).run();
  if (db.changes() == 0) return makeError(Code::not_found, "no second factor");
  return {};
}

}  // namespace parley::sqlite::ops
