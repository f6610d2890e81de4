// AccountService: the two-factor routes' use cases (enrol, confirm, disable, the second
// sign-in step, an admin's reset). The mechanisms are in account_2fa.cpp.
#include "core/metrics.h"
#include "crypto/sealer.h"
#include "service/accounts.h"
#include "service/two_factor_codes.h"

namespace parley {

using two_factor::invalidOtp;

Task<Result<AccountService::TwoFactorState>> AccountService::twoFactorState(
    const AuthContext& ctx) {
  auto record = co_await store_.totpOf(ctx.user.id);
  if (!record && record.error().code == Code::not_found) co_return TwoFactorState{};
  if (!record) co_return record.error();
  co_return TwoFactorState{.enabled = record->enabled,
                           .pending = !record->enabled,
                           .recovery_left = static_cast<int>(record->recovery.size() / 32)};
}

Task<Result<AccountService::Enrolment>> AccountService::enrol(const User& user) {
  std::string name = SharedSecrets::kTotpSeal;
  auto key = co_await secrets_.get(std::move(name));
  if (!key) co_return key.error();
  const std::string secret = crypto::randomBytes(crypto::kTotpSecretBytes);
  std::string sealed = crypto::seal(*key, two_factor::totpAd(user.id), secret);
  const Millis now = clock_.now();
  auto put = co_await store_.putPendingTotp(user.id, std::move(sealed), now);
  if (!put) co_return put.error();
  std::string b32 = crypto::base32(secret);
  std::string uri = two_factor::otpauthUri(user.username, b32);
  co_return Enrolment{std::move(b32), std::move(uri)};
}

Task<Result<AccountService::Enrolment>> AccountService::beginEnrolment(const AuthContext& ctx) {
  co_return co_await enrol(ctx.user);
}

Task<Result<std::vector<std::string>>> AccountService::confirmPending(UserId user,
                                                                      const std::string& code,
                                                                      const std::string& ip,
                                                                      const std::string& device) {
  auto record = co_await store_.totpOf(user);
  if (!record && record.error().code != Code::not_found) co_return record.error();
  if (!record || record->enabled) {
    co_return makeError(Code::conflict, "no enrolment is pending: start one with POST /me/2fa");
  }
  auto key = co_await totpKey(user, record->sealed_secret);
  if (!key) co_return key.error();
  auto step = crypto::matchTotp(*key, code, crypto::totpStep(clock_.now() / 1000));
  if (!step) {
    co_await auditRefusal(user, "2fa_confirm_failed", ip, device, "wrong code");
    co_return invalidOtp();
  }
  std::string name = SharedSecrets::kTotpSeal;
  auto seal_key = co_await secrets_.get(std::move(name));
  if (!seal_key) co_return seal_key.error();
  std::vector<std::string> codes;
  std::string hashes;
  for (int i = 0; i < kRecoveryCodes; ++i) {
    codes.push_back(two_factor::newRecoveryCode());
    hashes += two_factor::recoveryHash(*seal_key, user, codes.back());
  }
  auto enabled = co_await store_.enableTotp(user, *step, std::move(hashes));
  if (!enabled) co_return enabled.error();
  co_await audit(user, "2fa_enabled", ip, device);
  co_return codes;
}

Task<Result<std::vector<std::string>>> AccountService::confirmEnrolment(const AuthContext& ctx,
                                                                        std::string code,
                                                                        std::string ip) {
  const std::string& device = ctx.session.device;
  auto admitted = co_await admitLogin(&ctx.user, ip, device, true);
  if (!admitted) co_return admitted.error();
  co_return co_await confirmPending(ctx.user.id, code, ip, device);
}

Task<Status> AccountService::disableTwoFactor(const AuthContext& ctx, std::string password,
                                              std::string code, std::string ip) {
  const std::string& device = ctx.session.device;
  auto admitted = co_await admitLogin(&ctx.user, ip, device, true);
  if (!admitted) co_return admitted.error();
  auto user = co_await store_.userById(ctx.user.id);  // the hash is never cached
  if (!user) co_return user.error();
  auto ok = co_await hasher_.verify(user->password_hash, std::move(password));
  if (!ok) co_return ok.error();
  if (!*ok) {
    co_await auditRefusal(user->id, "2fa_disable_failed", ip, device, "wrong password");
    co_return makeError(Code::wrong_password, "the password is wrong");
  }
  const bool totp = two_factor::isTotpCode(code);
  const std::string totp_code = totp ? code : std::string();
  const std::string recovery = totp ? std::string() : code;
  auto spent = co_await spendSecondFactor(user->id, totp_code, recovery);
  if (!spent) co_return spent.error();
  if (!*spent) {
    co_await auditRefusal(user->id, "2fa_disable_failed", ip, device, "wrong code");
    co_return invalidOtp();
  }
  auto gone = co_await store_.deleteTotp(user->id);
  if (!gone) co_return gone;
  co_await audit(user->id, "2fa_disabled", ip, device);
  co_return Status{};
}

// Limited as a login is, before anything else, and whatever the challenge holds: a forged
// challenge costs as much as a real one and is answered the same.
Task<Result<AccountService::Login>> AccountService::loginSecondStep(std::string challenge,
                                                                    std::string code,
                                                                    std::string recovery_code,
                                                                    std::string ip) {
  auto c = co_await readChallenge(challenge);
  User who;
  who.id = c ? c->user : 0;
  const std::string device = c ? c->device : std::string("unknown");
  bool known_network = false;
  if (c) {
    std::string network = networkOf(ip);  // named (g++ 12: src/README.md)
    auto known = co_await store_.knownLogin(who.id, std::move(network), device);
    known_network = known && known->network;
  }
  auto admitted = co_await admitLogin(c ? &who : nullptr, ip, device, known_network);
  if (!admitted) co_return admitted.error();
  if (!c) {
    co_await auditRefusal(0, "otp_failed", ip, device, "no live challenge");
    co_return invalidOtp();
  }
  const Millis now = clock_.now();
  std::string tries_key = "otp:tries:" + c->nonce;
  auto tries = co_await cache_.hit(std::move(tries_key), kChallengeAttempts, kChallengeTtlMs, now);
  auto user = co_await store_.userById(c->user);
  if (!tries.allowed || !user || user->disabled) {
    co_await auditRefusal(c->user, "otp_failed", ip, device, "challenge spent");
    co_return invalidOtp();
  }
  std::vector<std::string> recovery_codes;
  if (c->enrol) {  // the code confirms the secret this challenge's enrolment made
    auto confirmed = co_await confirmPending(user->id, code, ip, device);
    if (!confirmed && confirmed.error().code == Code::conflict) co_return invalidOtp();
    if (!confirmed) co_return confirmed.error();
    recovery_codes = std::move(*confirmed);
  } else {
    auto spent = co_await spendSecondFactor(user->id, code, recovery_code);
    if (!spent) co_return spent.error();
    if (!*spent) {
      metrics().logins_failed.inc();
      co_await auditRefusal(user->id, "otp_failed", ip, device, "wrong code");
      co_return invalidOtp();
    }
    if (code.empty()) co_await audit(user->id, "recovery_code_used", ip, device);
  }
  std::string spent_key = "otp:spent:" + c->nonce;
  auto first = co_await cache_.hit(std::move(spent_key), 1, kChallengeTtlMs, now);
  if (!first.allowed) co_return invalidOtp();  // never two sessions from one challenge
  user->password_hash.clear();
  std::string dev = device;
  auto login = co_await startSession(std::move(*user), std::move(dev), std::move(ip));
  if (login) login->recovery_codes = std::move(recovery_codes);
  co_return login;
}

Task<Result<AccountService::Enrolment>> AccountService::beginEnrolmentWithChallenge(
    std::string challenge, std::string ip) {
  auto c = co_await readChallenge(challenge);
  const std::string device = c ? c->device : std::string("unknown");
  auto admitted = co_await admitLogin(nullptr, ip, device, true);  // per address
  if (!admitted) co_return admitted.error();
  if (!c || !c->enrol) co_return invalidOtp();
  auto user = co_await store_.userById(c->user);
  if (!user || user->disabled) co_return invalidOtp();
  co_return co_await enrol(*user);
}

Task<Status> AccountService::resetTwoFactor(const AuthContext& admin, std::string username) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  auto gone = co_await store_.deleteTotp(user->id);
  if (!gone && gone.error().code != Code::not_found) co_return gone;
  co_await audit(user->id, "2fa_reset", admin.session.ip, admin.session.device,
                 "by a server admin");
  co_return Status{};
}

}  // namespace parley
