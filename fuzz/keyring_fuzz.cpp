// The keyring file parser on arbitrary text: a malformed file is refused, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/keyring/keyring_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto keys = parley::keyring::parseKeyring(text, "fuzz.keyring");
  if (keys) {
    if (keys->empty()) std::abort();  // the format requires at least one key
    for (const auto& k : *keys)
      if (k.key.view().size() != 32 || k.id.empty() || k.id.size() > 64) std::abort();
  } else if (keys.error().code != parley::Code::internal) {
    std::abort();
  }
  return 0;
}
