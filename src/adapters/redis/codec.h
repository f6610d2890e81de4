// The byte encodings the Redis Cache stores: a compact, versioned binary form of
// StoredEvent and CachedSession (every field; the sealed body stays sealed), and hex for
// binary key parts. Decoding is bounds-checked: anything malformed decodes to nullopt,
// which the cache treats as a miss.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ports/cache.h"

namespace parley::redis {

std::string encodeEvent(const StoredEvent& e);
std::optional<StoredEvent> decodeEvent(std::string_view bytes);

// The user's password hash is not stored: a cached session never needs it, and it should
// not leave the node. It decodes as empty.
std::string encodeSession(const CachedSession& s);
std::optional<CachedSession> decodeSession(std::string_view bytes);

std::string hex(std::string_view bytes);

}  // namespace parley::redis
