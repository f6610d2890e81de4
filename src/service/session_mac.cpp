#include "service/session_mac.h"

#include <cstdint>

#include "crypto/tokens.h"
#include "service/length_prefixed.h"

namespace parley {

std::string sessionMac(std::string_view key, std::string_view token_hash, const CachedSession& s) {
  LengthPrefixed in;
  in.str("parley/session-cache/v1")
      .str(token_hash)
      .num(s.session.id)
      .num(s.session.user_id)
      .str(s.session.token_hash)
      .str(s.session.device)
      .str(s.session.ip)
      .num(s.session.created_at)
      .num(s.session.last_seen_at)
      .num(s.user.id)
      .str(s.user.username)
      .num(s.user.created_at)
      .num(s.user.disabled ? 1 : 0)
      .num(s.valid_until);
  return crypto::mac(key, in.bytes());
}

bool sessionMacValid(std::string_view key, std::string_view token_hash, const CachedSession& s) {
  return crypto::equalConstantTime(s.mac, sessionMac(key, token_hash, s));
}

}  // namespace parley
