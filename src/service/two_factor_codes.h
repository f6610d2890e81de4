// What account_2fa.cpp and account_2fa_steps.cpp share: the answers, the sealing context of
// a TOTP secret, and recovery codes. Internal to the service layer.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/random.h"
#include "crypto/tokens.h"
#include "crypto/totp.h"
#include "domain/types.h"

namespace parley::two_factor {

inline Error invalidOtp() {
  return makeError(Code::invalid_otp, "wrong code, or this sign-in expired: sign in again");
}

// The associated data a secret is sealed with: a sealed secret moved to another account
// does not open.
inline std::string totpAd(UserId user) { return "parley/totp/v1|" + std::to_string(user); }

inline bool isTotpCode(std::string_view code) {
  return code.size() == static_cast<std::size_t>(crypto::kTotpDigits) &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What a person types: dashes, spaces and case do not matter.
inline std::string normalCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A recovery code as stored: a MAC under the deployment's TOTP key, bound to the account.
inline std::string recoveryHash(const std::string& key, UserId user, std::string_view code) {
  return crypto::mac(key, "parley/recovery/v1|" + std::to_string(user) + "|" + normalCode(code));
}

// 80 random bits as xxxx-xxxx-xxxx-xxxx (base32, lower case).
inline std::string newRecoveryCode() {
  std::string raw = crypto::base32(crypto::randomBytes(10));
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(raw[i])));
  }
  return out;
}

inline std::string otpauthUri(const std::string& username, const std::string& secret_b32) {
  // Usernames are A-Z a-z 0-9 _ . - : nothing to escape.
  return "otpauth://totp/Parley:" + username + "?secret=" + secret_b32 +
         "&issuer=Parley&algorithm=SHA1&digits=6&period=30";
}

}  // namespace parley::two_factor
