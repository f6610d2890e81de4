// Keyed hashing (BLAKE2b, libsodium's crypto_generichash): subkeys derived from a key, and
// short keyed digests such as search tokens. Without the key a digest says nothing about
// its input; equal inputs under one key give equal digests.
//
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::crypto {

// A 32-byte key for `context`, derived from `key` (16 to 64 bytes): BLAKE2b keyed with `key`
// over `context`. Different contexts give independent keys.
std::string deriveKey(std::string_view key, std::string_view context);

// The first 8 bytes of BLAKE2b keyed with `key` (16 to 64 bytes) over `message`, as a
// signed integer (so databases can store it as one).
std::int64_t keyedDigest64(std::string_view key, std::string_view message);

}  // namespace parley::crypto
