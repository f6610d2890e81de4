#include "crypto/keyed_hash.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

#include "crypto/sodium.h"

namespace parley::crypto {

namespace {

void hash(unsigned char* out, std::size_t out_len, std::string_view key, std::string_view msg) {
  detail::ensureSodium();
  // Callers pass keys they made or unwrapped: a wrong length is a programming error.
  assert(key.size() >= crypto_generichash_KEYBYTES_MIN &&
         key.size() <= crypto_generichash_KEYBYTES_MAX);
  crypto_generichash(out, out_len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

}  // namespace

std::string deriveKey(std::string_view key, std::string_view context) {
  std::string out(32, '\0');
  hash(reinterpret_cast<unsigned char*>(out.data()), out.size(), key, context);
  return out;
}

std::int64_t keyedDigest64(std::string_view key, std::string_view message) {
  unsigned char out[crypto_generichash_BYTES_MIN];  // 16: libsodium's least output
  hash(out, sizeof out, key, message);
  std::int64_t v = 0;
  std::memcpy(&v, out, sizeof v);
  return v;
}

}  // namespace parley::crypto
