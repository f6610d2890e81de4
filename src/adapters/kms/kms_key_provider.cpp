#include "adapters/kms/kms_key_provider.h"

#include "adapters/kms/kms_wire.h"

namespace parley::kms {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kDataKeyBytes = 32;

class KmsKeyProvider final : public KeyProvider {
 public:
  KmsKeyProvider(KmsConfig config, std::shared_ptr<KmsStats> stats)
      : client_(std::move(config), std::move(stats)) {}

  asio::awaitable<Result<std::string>> wrap(std::string data_key, std::string context) override {
    if (data_key.size() != kDataKeyBytes) {
      co_return makeError(Code::internal, "kms wrap: a data key is 32 bytes");
    }
    std::string body = encryptRequest(client_.config().key_id, data_key, context);
    std::string action = "Encrypt";
    Result<std::string> answer = co_await client_.call(std::move(action), std::move(body));
    if (!answer) co_return answer.error();
    Result<std::string> blob = responseBlob(*answer, "CiphertextBlob");
    if (!blob) co_return blob.error();
    if (blob->empty()) co_return makeError(Code::internal, "kms: empty CiphertextBlob");
    co_return std::string(1, kWrappedFormat) + *blob;
  }

  asio::awaitable<Result<std::string>> unwrap(std::string wrapped, std::string context) override {
    if (wrapped.empty()) co_return makeError(Code::internal, "kms unwrap: empty wrapped key");
    if (wrapped.front() != kWrappedFormat) {
      co_return makeError(Code::internal,
                          wrapped.front() == 0x01
                              ? "kms unwrap: this key was wrapped by a local keyring, not KMS"
                              : "kms unwrap: not a KMS-wrapped key");
    }
    if (wrapped.size() == 1) co_return makeError(Code::internal, "kms unwrap: empty ciphertext");
    std::string body = decryptRequest(std::string_view(wrapped).substr(1), context);
    std::string action = "Decrypt";
    Result<std::string> answer = co_await client_.call(std::move(action), std::move(body));
    if (!answer) co_return answer.error();
    Result<std::string> key = responseBlob(*answer, "Plaintext");
    if (!key) co_return key.error();
    if (key->size() != kDataKeyBytes) {
      co_return makeError(Code::internal, "kms unwrap: the plaintext is not a 32-byte data key");
    }
    co_return std::move(*key);
  }

 private:
  KmsClient client_;
};

}  // namespace

KeyProviderPtr makeKmsKeyProvider(KmsConfig config, std::shared_ptr<KmsStats> stats) {
  return std::make_unique<KmsKeyProvider>(std::move(config), std::move(stats));
}

}  // namespace parley::kms
