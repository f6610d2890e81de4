// The KeyProvider contract (tests/unit/ports/key_provider_contract.h) on the local keyring.
#include <filesystem>

#include "adapters/keyring/local_keyring.h"
#include "ports/key_provider_contract.h"

namespace parley::key_contract {
namespace {

namespace fs = std::filesystem;

// One keyring file for the whole test process, removed at exit.
struct KeyringDir {
  fs::path dir = fs::temp_directory_path() /
                 ("parley-keyring-contract-" + crypto::toHex(crypto::randomBytes(8)));
  KeyringDir() { fs::create_directory(dir); }
  ~KeyringDir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

KeyProviderFactory keyringFactory() {
  return {"Keyring", []() -> KeyProviderPtr {
            static KeyringDir d;
            auto k = keyring::openLocalKeyring(d.dir / "keyring.json");
            EXPECT_TRUE(k) << (k ? "" : k.error().message);
            return k ? std::move(*k) : nullptr;
          }};
}

INSTANTIATE_TEST_SUITE_P(Keyring, KeyProviderContract, ::testing::Values(keyringFactory()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::key_contract
