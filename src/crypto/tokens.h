// Session tokens. The client holds the token; the Store holds only hashToken(token), so a
// leaked database cannot be replayed as sessions. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::crypto {

inline constexpr std::size_t kTokenBytes = 32;      // entropy of a session token
inline constexpr std::size_t kTokenTextChars = 43;  // its base64url length
inline constexpr std::size_t kTokenHashBytes = 32;

struct NewToken {
  std::string token;  // base64url text of 32 CSPRNG bytes, 43 chars: give to the client
  std::string hash;   // hashToken(token), 32 raw bytes: store this
};

NewToken newSessionToken();

// 32-byte BLAKE2b (crypto_generichash) of the token text exactly as the client sent it.
// Unkeyed is enough: the token has 256 bits of entropy, so nothing can be brute-forced.
std::string hashToken(std::string_view token);

// 32-byte keyed BLAKE2b (crypto_generichash with a key) of `data`: a MAC. `key` must be
// 16 to 64 bytes (a 32-byte random key in practice).
std::string mac(std::string_view key, std::string_view data);

// Equality in time independent of where a and b differ (sodium_memcmp). Lengths are not
// secret: different lengths compare unequal at once.
bool equalConstantTime(std::string_view a, std::string_view b) noexcept;

}  // namespace parley::crypto
