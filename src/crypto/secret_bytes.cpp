#include "crypto/secret_bytes.h"

#include <sodium.h>

namespace parley::crypto {

void wipe(std::string& s) noexcept {
  // resize() within capacity never reallocates, so this reaches every byte the buffer
  // ever held, including a short string's inline buffer.
  s.resize(s.capacity());
  sodium_memzero(s.data(), s.size());
  s.clear();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.wipe();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

void SecretBytes::wipe() noexcept { crypto::wipe(bytes_); }

}  // namespace parley::crypto
