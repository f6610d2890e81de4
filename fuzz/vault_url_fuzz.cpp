// The --keyring vault URL parser and the token check on arbitrary text: an accepted URL is
// usable and never carried a credential; an accepted token is printable ASCII.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/vault/vault_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parley::vault::parseVaultUrl(text);
  if (c) {
    if (c->host.empty() || c->port.empty() || c->key_name.empty() || c->mount.empty() ||
        !c->token.empty())
      std::abort();
    if (!c->ca_file.empty() && !c->tls) std::abort();
    if (text.find('@') != std::string_view::npos && text.find('@') < text.find('/', 8))
      std::abort();  // a userinfo part was accepted
  } else if (c.error().code != parley::Code::bad_request) {
    std::abort();
  }
  auto t = parley::vault::checkToken(text);
  if (t) {
    if (t->empty() || t->size() > 4096) std::abort();
    for (char ch : *t) {
      if (ch <= ' ' || ch > '~') std::abort();
    }
  }
  return 0;
}
