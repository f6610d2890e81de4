// AccountService: two-factor sign-in with TOTP (RFC 6238) and recovery codes.
//
// The secret is sealed (XChaCha20-Poly1305, bound to the account id) under a deployment
// secret (SharedSecrets::kTotpSeal) before the Store sees it; recovery codes are kept as
// MACs under the same secret. The second sign-in step carries a challenge that is a MAC'd
// (SharedSecrets::kOtpChallenge) statement "user U passed the password until T", so nodes
// share no state for it but the Cache's counters: attempts per challenge, and spent ones.
#include <algorithm>

#include "core/metrics.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "crypto/tokens.h"
#include "crypto/totp.h"
#include "service/accounts.h"
#include "service/two_factor_codes.h"

namespace parley {

using two_factor::totpAd;

namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kFixedBytes = 8 + 8 + 1 + kNonceBytes;

void putInt(std::string& out, std::int64_t v) {
  for (int i = 7; i >= 0; --i)
    out += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff);
}

std::int64_t getInt(std::string_view in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<std::int64_t>(v);
}

}  // namespace

Task<Result<std::string>> AccountService::makeChallenge(UserId user, bool enrol,
                                                        const std::string& device) {
  std::string name = SharedSecrets::kOtpChallenge;
  auto key = co_await secrets_.get(std::move(name));
  if (!key) co_return key.error();
  std::string payload;
  putInt(payload, user);
  putInt(payload, clock_.now() + kChallengeTtlMs);
  payload += enrol ? '\1' : '\0';
  payload += crypto::randomBytes(kNonceBytes);
  payload += device;
  co_return crypto::base64url(payload + crypto::mac(*key, "parley/otp-challenge/v1|" + payload));
}

Task<std::optional<AccountService::Challenge>> AccountService::readChallenge(
    const std::string& text) {
  std::optional<Challenge> none;
  if (text.size() > 400) co_return none;
  auto raw = crypto::fromBase64url(text);
  if (!raw || raw->size() < kFixedBytes + kMacBytes) co_return none;
  std::string name = SharedSecrets::kOtpChallenge;
  auto key = co_await secrets_.get(std::move(name));
  if (!key) co_return none;
  const std::string payload = raw->substr(0, raw->size() - kMacBytes);
  const std::string mac = raw->substr(raw->size() - kMacBytes);
  if (!crypto::equalConstantTime(crypto::mac(*key, "parley/otp-challenge/v1|" + payload), mac))
    co_return none;
  if (getInt(std::string_view(payload).substr(8, 8)) <= clock_.now()) co_return none;
  Challenge c{.user = getInt(payload),
              .enrol = payload[16] == '\1',
              .device = payload.substr(kFixedBytes),
              .nonce = crypto::toHex(payload.substr(17, kNonceBytes))};
  co_return c;
}

Task<Result<std::string>> AccountService::totpKey(UserId user, const std::string& sealed) {
  std::string name = SharedSecrets::kTotpSeal;
  auto key = co_await secrets_.get(std::move(name));
  if (!key) co_return key.error();
  co_return crypto::open(*key, totpAd(user), sealed);
}

Task<Result<AccountService::Login>> AccountService::finishPassword(User user, std::string device,
                                                                   std::string ip) {
  auto record = co_await store_.totpOf(user.id);
  if (!record && record.error().code != Code::not_found) co_return record.error();
  const bool enabled = record && record->enabled;
  if (!enabled && !limits_.require_2fa) {
    co_return co_await startSession(std::move(user), std::move(device), std::move(ip));
  }
  auto challenge = co_await makeChallenge(user.id, !enabled, device);
  if (!challenge) co_return challenge.error();
  co_await audit(user.id, "login_otp_required", ip, device, enabled ? "" : "must enrol");
  Login out;
  out.challenge = std::move(*challenge);
  out.enrol = !enabled;
  out.user = std::move(user);
  co_return out;
}

Task<Result<bool>> AccountService::spendSecondFactor(UserId user, const std::string& code,
                                                     const std::string& recovery) {
  auto record = co_await store_.totpOf(user);
  if (!record && record.error().code == Code::not_found) co_return false;
  if (!record) co_return record.error();
  if (!record->enabled) co_return false;
  if (!code.empty()) {
    auto key = co_await totpKey(user, record->sealed_secret);
    if (!key) co_return key.error();
    auto step = crypto::matchTotp(*key, code, crypto::totpStep(clock_.now() / 1000));
    if (!step) co_return false;
    auto used = co_await store_.useTotpStep(user, *step);  // a replay: conflict
    co_return used.has_value();
  }
  if (recovery.empty() || recovery.size() > 64) co_return false;
  std::string name = SharedSecrets::kTotpSeal;
  auto key = co_await secrets_.get(std::move(name));
  if (!key) co_return key.error();
  const std::string hash = two_factor::recoveryHash(*key, user, recovery);
  std::string next;
  bool found = false;
  for (std::size_t i = 0; i + kMacBytes <= record->recovery.size(); i += kMacBytes) {
    std::string one = record->recovery.substr(i, kMacBytes);
    if (!found && crypto::equalConstantTime(one, hash)) {
      found = true;
    } else {
      next += one;
    }
  }
  if (!found) co_return false;
  std::string expected = record->recovery;
  auto replaced = co_await store_.replaceRecovery(user, std::move(expected), std::move(next));
  co_return replaced.has_value();
}

}  // namespace parley
