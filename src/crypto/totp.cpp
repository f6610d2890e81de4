#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/tokens.h"

namespace parley::crypto {

namespace {

const EVP_MD* digestOf(TotpHash hash) {
  switch (hash) {
    case TotpHash::sha256:
      return EVP_sha256();
    case TotpHash::sha512:
      return EVP_sha512();
    case TotpHash::sha1:
      break;
  }
  return EVP_sha1();
}

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string hotp(std::string_view key, std::uint64_t counter, int digits, TotpHash hash) {
  std::array<unsigned char, 8> msg{};
  for (int i = 7; i >= 0; --i, counter >>= 8) msg[static_cast<std::size_t>(i)] = counter & 0xff;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(digestOf(hash), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), mac.data(),
       &len);
  // Dynamic truncation (RFC 4226 5.3): 31 bits at the offset the last nibble names.
  const unsigned offset = mac[len - 1] & 0x0f;
  const std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                            (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                            (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                            static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint64_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(bin % mod);
  return std::string(static_cast<std::size_t>(digits) - out.size(), '0') + out;
}

std::optional<std::int64_t> matchTotp(std::string_view key, std::string_view code,
                                      std::int64_t step) {
  const bool six_digits =
      code.size() == static_cast<std::size_t>(kTotpDigits) &&
      std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!six_digits) return std::nullopt;
  std::optional<std::int64_t> found;
  for (std::int64_t s = step + 1; s >= step - 1; --s) {  // every step checked: no early exit
    if (equalConstantTime(totp(key, s), code) && !found) found = s;
  }
  return found;
}

std::string base32(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> fromBase32(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=') continue;
    auto pos = kBase32.find(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(pos);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

}  // namespace parley::crypto
