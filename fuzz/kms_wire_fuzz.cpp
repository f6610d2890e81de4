// What a KMS server answers: the blob reader and the error reader on arbitrary bytes, and
// request bodies round-tripping through the blob reader.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/kms/kms_wire.h"
#include "crypto/random.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view member : {"Plaintext", "CiphertextBlob"}) {
    auto r = parley::kms::responseBlob(text, member);
    if (!r && r.error().code != parley::Code::internal) std::abort();
  }
  auto e = parley::kms::parseError(text, text.substr(0, text.size() / 2));
  (void)parley::kms::retryable(static_cast<int>(size % 600), e.type);
  // Any bytes wrapped into a request come back unchanged as an answer's blob.
  const std::string body = "{\"Plaintext\":\"" + parley::crypto::base64(text) + "\"}";
  auto back = parley::kms::responseBlob(body, "Plaintext");
  if (!back || *back != text) std::abort();
  (void)parley::kms::decryptRequest(text, text);
  return 0;
}
