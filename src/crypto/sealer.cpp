#include "crypto/sealer.h"

#include <sodium.h>

#include <stdexcept>

#include "crypto/random.h"
#include "crypto/sodium.h"

namespace parley::crypto {

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error sealCheckFailed() { return makeError(Code::internal, "seal check failed"); }

}  // namespace

std::string newDataKey() { return randomBytes(kKeyBytes); }

std::string seal(std::string_view key, std::string_view ad, std::string_view plaintext) {
  // Keys come from newDataKey() or KeyProvider::unwrap, both 32 bytes; anything else is a
  // bug that must not reach libsodium, which would read past the buffer.
  if (key.size() != kKeyBytes) throw std::invalid_argument("seal: key must be 32 bytes");
  detail::ensureSodium();
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, &written, bytes(plaintext),
                                             plaintext.size(), bytes(ad), ad.size(), nullptr, nonce,
                                             bytes(key));
  out.resize(kNonceBytes + written);
  return out;
}

Result<std::string> open(std::string_view key, std::string_view ad, std::string_view sealed) {
  if (key.size() != kKeyBytes || sealed.size() < kSealOverhead) return sealCheckFailed();
  detail::ensureSodium();
  std::string out(sealed.size() - kSealOverhead, '\0');
  unsigned long long written = 0;
  const unsigned char* nonce = bytes(sealed);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, nonce + kNonceBytes,
          sealed.size() - kNonceBytes, bytes(ad), ad.size(), nonce, bytes(key)) != 0) {
    return sealCheckFailed();
  }
  out.resize(written);
  return out;
}

std::string messageAd(std::int64_t room_id, std::string_view event_id, std::uint32_t key_version) {
  std::string ad = "parley/msg/v1|";
  ad += std::to_string(room_id);
  ad += '|';
  ad += event_id;
  ad += '|';
  ad += std::to_string(key_version);
  return ad;
}

}  // namespace parley::crypto
