#include "adapters/vault/vault_key_provider.h"

#include "adapters/vault/vault_wire.h"

namespace parley::vault {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kDataKeyBytes = 32;

Error refused(std::string why) { return makeError(Code::internal, "vault unwrap: " + why); }

// Why `wrapped` is not a blob of this provider, or "" if its shape is right.
std::string shapeProblem(std::string_view wrapped) {
  if (wrapped.empty()) return "empty wrapped key";
  if (wrapped.front() == 0x01) return "this key was wrapped by a local keyring, not Vault";
  if (wrapped.front() == 0x02) return "this key was wrapped by KMS, not Vault";
  if (wrapped.front() != kWrappedFormat) return "not a Vault-wrapped key";
  if (!ciphertextVersion(wrapped.substr(1))) return "not a Transit ciphertext";
  return "";
}

class VaultKeyProvider final : public KeyProvider {
 public:
  VaultKeyProvider(VaultConfig config, std::shared_ptr<VaultStats> stats)
      : client_(std::move(config), std::move(stats)) {}

  asio::awaitable<Result<std::string>> wrap(std::string data_key, std::string context) override {
    if (data_key.size() != kDataKeyBytes) {
      co_return makeError(Code::internal, "vault wrap: a data key is 32 bytes");
    }
    std::string body = encryptRequest(data_key, context);
    std::string operation = "encrypt";
    Result<std::string> answer = co_await client_.post(std::move(operation), std::move(body));
    if (!answer) co_return answer.error();
    Result<std::string> ciphertext = encryptAnswer(*answer);
    if (!ciphertext) co_return ciphertext.error();
    co_return std::string(1, kWrappedFormat) + *ciphertext;
  }

  asio::awaitable<Result<std::string>> unwrap(std::string wrapped, std::string context) override {
    if (std::string why = shapeProblem(wrapped); !why.empty()) co_return refused(std::move(why));
    std::string body = decryptRequest(std::string_view(wrapped).substr(1), context);
    std::string operation = "decrypt";
    Result<std::string> answer = co_await client_.post(std::move(operation), std::move(body));
    if (!answer) co_return answer.error();
    co_return decryptAnswer(*answer, kDataKeyBytes);
  }

 private:
  VaultClient client_;
};

}  // namespace

KeyProviderPtr makeVaultKeyProvider(VaultConfig config, std::shared_ptr<VaultStats> stats) {
  return std::make_unique<VaultKeyProvider>(std::move(config), std::move(stats));
}

std::optional<std::uint32_t> wrappedKeyVersion(std::string_view wrapped) {
  if (wrapped.empty() || wrapped.front() != kWrappedFormat) return std::nullopt;
  return ciphertextVersion(wrapped.substr(1));
}

}  // namespace parley::vault
