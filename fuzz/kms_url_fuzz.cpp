// The --keyring kms URL parser and its redaction on arbitrary text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/kms/kms_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parley::kms::parseKmsUrl(text);
  if (c) {
    if (c->key_id.empty() || c->host.empty() || c->port.empty() ||
        c->credentials.secret_key.empty())
      std::abort();
    if (!c->ca_file.empty() && !c->tls) std::abort();
    // The redacted form parses to the same config with the secret replaced by "***".
    auto shown = parley::kms::parseKmsUrl(parley::kms::redactedKmsUrl(text));
    if (!shown || shown->credentials.secret_key != "***" || shown->key_id != c->key_id ||
        shown->host != c->host || shown->credentials.access_key != c->credentials.access_key)
      std::abort();
  } else if (c.error().code != parley::Code::bad_request) {
    std::abort();
  }
  return 0;
}
