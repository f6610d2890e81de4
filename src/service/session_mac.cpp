#include "service/session_mac.h"

#include <cstdint>

#include "crypto/tokens.h"

namespace parley {

namespace {

// Fixed-width numbers and length-prefixed strings, so no two entries share an encoding.
class MacInput {
 public:
  MacInput& num(std::int64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  MacInput& str(std::string_view s) {
    num(static_cast<std::int64_t>(s.size()));
    out_.append(s);
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string sessionMac(std::string_view key, std::string_view token_hash, const CachedSession& s) {
  MacInput in;
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
