// The MAC that binds a cached session to the token hash it is cached under (ports/cache.h,
// CachedSession::mac). Whoever can write to the Cache but does not hold the deployment's
// key (SharedSecrets::kSessionCacheMac) can neither forge an entry nor move one to another
// token's key: either fails this check and is treated as a miss. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ports/cache.h"

namespace parley {

// Over the token hash and every field of the entry but `mac` (valid_until included).
std::string sessionMac(std::string_view key, std::string_view token_hash, const CachedSession& s);

// true iff `s.mac` is sessionMac(key, token_hash, s); compared in constant time.
bool sessionMacValid(std::string_view key, std::string_view token_hash, const CachedSession& s);

}  // namespace parley
