// CSPRNG bytes and the text encodings Parley uses for them. Thread-safe; never fails
// (libsodium's randombytes aborts the process rather than return weak bytes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::crypto {

std::string randomBytes(std::size_t n);

// Lower-case hex.
std::string toHex(std::string_view bytes);

// RFC 4648 §5 base64url without '=' padding (libsodium URLSAFE_NO_PADDING).
std::string base64url(std::string_view bytes);

// Strict inverse of base64url: nullopt on any character outside the alphabet, padding,
// whitespace or non-canonical trailing bits.
std::optional<std::string> fromBase64url(std::string_view text);

// RFC 4648 §4 base64 with '=' padding (libsodium ORIGINAL): what AWS JSON APIs carry blobs in.
std::string base64(std::string_view bytes);

// Strict inverse of base64: nullopt on any character outside the alphabet, missing or extra
// padding, whitespace or non-canonical trailing bits.
std::optional<std::string> fromBase64(std::string_view text);

// A fresh event id: 16 random bytes as 32 hex characters.
std::string newEventId();

}  // namespace parley::crypto
