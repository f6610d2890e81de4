// What a Vault / OpenBao Transit server answers: the encrypt and decrypt answer readers, the
// ciphertext shape check and the error reader on arbitrary bytes; any 32 bytes round-trip
// through a decrypt answer.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/vault/vault_wire.h"
#include "crypto/random.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace v = parley::vault;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto key = v::decryptAnswer(text, 32);
  if (key ? key->size() != 32 : key.error().code != parley::Code::internal) std::abort();
  auto ciphertext = v::encryptAnswer(text);
  if (ciphertext ? !v::ciphertextVersion(*ciphertext)
                 : ciphertext.error().code != parley::Code::internal)
    std::abort();
  if (auto n = v::ciphertextVersion(text); n && (*n == 0 || text.size() > v::kMaxCiphertext))
    std::abort();
  if (v::errorText(text).size() > 300) std::abort();
  for (char c : v::errorText(text)) {
    if (c < ' ' || c > '~') std::abort();
  }
  // Any 32 bytes wrapped into an answer come back unchanged.
  if (size >= 32) {
    const std::string k(text.substr(0, 32));
    const std::string body = R"({"data":{"plaintext":")" + parley::crypto::base64(k) + R"("}})";
    auto back = v::decryptAnswer(body, 32);
    if (!back || *back != k) std::abort();
  }
  (void)v::decryptRequest(text, text);
  (void)v::encryptRequest(text, text);
  return 0;
}
