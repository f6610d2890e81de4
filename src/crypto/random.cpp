#include "crypto/random.h"

#include <sodium.h>

#include <cstdlib>

#include "crypto/sodium.h"

namespace parley::crypto {

namespace detail {

void ensureSodium() {
  // A function-local static is initialised once even under concurrent first calls.
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) std::abort();
}

}  // namespace detail

std::string randomBytes(std::size_t n) {
  detail::ensureSodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string toHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();  // the terminating NUL sodium writes
  return out;
}

namespace {

std::string encode64(std::string_view bytes, int variant) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // drop the NUL counted by ENCODED_LEN
  return out;
}

std::optional<std::string> decode64(std::string_view text, int variant) {
  detail::ensureSodium();
  std::string out(text.size() * 3 / 4 + 1, '\0');
  std::size_t len = 0;
  // b64_end == nullptr makes libsodium reject input it did not consume entirely.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, variant) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string base64(std::string_view bytes) {
  return encode64(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::optional<std::string> fromBase64(std::string_view text) {
  return decode64(text, sodium_base64_VARIANT_ORIGINAL);
}

std::string base64url(std::string_view bytes) {
  return encode64(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> fromBase64url(std::string_view text) {
  return decode64(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string newEventId() { return toHex(randomBytes(16)); }

}  // namespace parley::crypto
