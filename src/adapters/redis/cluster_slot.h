// Redis Cluster addressing: the hash slot of a key and the seed list of a cluster URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/connection.h"
#include "core/error.h"

namespace parley::redis {

inline constexpr int kClusterSlots = 16384;

// The slot Redis Cluster assigns to `key`: CRC16 (XMODEM) of the key modulo 16384, where a
// key holding a non-empty "{...}" hashes only what lies between its first '{' and the first
// '}' after it (the hash tag), so keys that share a tag share a slot.
std::uint16_t keySlot(std::string_view key);

// `text` with '%', '{' and '}' percent-encoded (injective), for a caller's text placed in a
// key: it can then never form a hash tag, so no caller picks the slot of a key.
std::string withoutHashTag(std::string_view text);

// redis+cluster://[[user]:password@]HOST:PORT[,HOST:PORT...]: the seed nodes, each carrying
// the credentials. Strict: every seed names a host and an explicit port 1..65535, at most 64
// seeds, no database (a cluster has only database 0), no query or fragment.
Result<std::vector<Endpoint>> parseClusterUrl(std::string_view url);

// True when `url` names a cluster (its scheme is redis+cluster), whatever else it holds.
bool isClusterUrl(std::string_view url);

}  // namespace parley::redis
