// Authenticated encryption of data at rest (DESIGN.md invariant 5): XChaCha20-Poly1305
// (IETF) with a random 24-byte nonce per message, so one key may seal any number of
// messages without nonce bookkeeping.
//
// Sealed format: nonce (24 bytes) || ciphertext || tag (16 bytes). The associated data is
// not stored: the caller rebuilds it from where the blob lives (messageAd), so a sealed
// body copied to another room, event or key version fails to open.
//
// Thread-safe (pure functions). A key of the wrong size is a programming error and throws
// std::invalid_argument from seal(); open() reports it as an error value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 24;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kSealOverhead = kNonceBytes + kTagBytes;

// 32 fresh CSPRNG bytes.
std::string newDataKey();

std::string seal(std::string_view key, std::string_view ad, std::string_view plaintext);

// Code::internal "seal check failed" for a wrong key, wrong ad, any altered byte or a
// blob shorter than kSealOverhead. Never returns partial plaintext.
Result<std::string> open(std::string_view key, std::string_view ad, std::string_view sealed);

// "parley/msg/v1|<room_id>|<event_id>|<key_version>". Unambiguous: room_id and
// key_version are decimal and the field count is fixed, so event_id is whatever lies
// between the second and the last '|'.
std::string messageAd(std::int64_t room_id, std::string_view event_id, std::uint32_t key_version);

}  // namespace parley::crypto
