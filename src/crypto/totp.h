// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as authenticator apps make
// them: HMAC-SHA-1, 30-second steps, 6 digits. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::crypto {

enum class TotpHash { sha1, sha256, sha512 };  // SHA-1 for apps; the others for RFC vectors

inline constexpr std::int64_t kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;
inline constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation

// The RFC 4226 value of `key` at `counter`, as `digits` decimal digits (leading zeros kept).
std::string hotp(std::string_view key, std::uint64_t counter, int digits,
                 TotpHash hash = TotpHash::sha1);

// The time step of `unix_seconds` (T = floor(t / 30)).
inline std::int64_t totpStep(std::int64_t unix_seconds) { return unix_seconds / kTotpStepSeconds; }

// The code at `step`: hotp(key, step, 6) with SHA-1.
inline std::string totp(std::string_view key, std::int64_t step) {
  return hotp(key, static_cast<std::uint64_t>(step), kTotpDigits);
}

// The step in [step - 1, step + 1] whose code equals `code` (compared in constant time), the
// latest first; nullopt if none (or `code` is not 6 digits).
std::optional<std::int64_t> matchTotp(std::string_view key, std::string_view code,
                                      std::int64_t step);

// RFC 4648 base32 without padding (what otpauth:// URIs carry), and its inverse (ignoring
// case, spaces and padding; nullopt for any other character).
std::string base32(std::string_view bytes);
std::optional<std::string> fromBase32(std::string_view text);

}  // namespace parley::crypto
