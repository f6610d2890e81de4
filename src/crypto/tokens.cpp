#include "crypto/tokens.h"

#include <sodium.h>

#include "crypto/random.h"
#include "crypto/sodium.h"

namespace parley::crypto {

static_assert(kTokenHashBytes >= crypto_generichash_BYTES_MIN &&
              kTokenHashBytes <= crypto_generichash_BYTES_MAX);

NewToken newSessionToken() {
  NewToken t;
  t.token = base64url(randomBytes(kTokenBytes));
  t.hash = hashToken(t.token);
  return t;
}

std::string hashToken(std::string_view token) {
  detail::ensureSodium();
  std::string out(kTokenHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return out;
}

std::string mac(std::string_view key, std::string_view data) {
  detail::ensureSodium();
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return out;
}

bool equalConstantTime(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley::crypto
