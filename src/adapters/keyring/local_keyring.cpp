#include "adapters/keyring/local_keyring.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "crypto/random.h"
#include "crypto/sealer.h"
#include "crypto/secret_bytes.h"

namespace parley::keyring {

namespace {

constexpr char kWrapFormat = 0x01;

// Binds the master key id as well as the caller's context, so a blob's header cannot be
// edited to point at another key.
std::string wrapAd(std::string_view key_id, std::string_view context) {
  std::string ad = "parley/keyring/v1|";
  ad += key_id;
  ad += '|';
  ad += context;
  return ad;
}

Error unwrapFailed() {
  return makeError(Code::internal, "wrapped key check failed (wrong context or tampered)");
}

}  // namespace

Result<std::unique_ptr<LocalKeyring>> LocalKeyring::open(const std::filesystem::path& file) {
  auto keys = readKeyringFile(file);
  if (!keys && keys.error().code == Code::not_found) {
    std::vector<MasterKey> fresh;
    fresh.push_back(newMasterKey());
    Status created = createKeyringFile(file, fresh);
    if (created) return std::unique_ptr<LocalKeyring>(new LocalKeyring(file, std::move(fresh)));
    if (created.error().code != Code::conflict) return created.error();
    keys = readKeyringFile(file);  // another process created it first: use theirs
  }
  if (!keys) return keys.error();
  return std::unique_ptr<LocalKeyring>(new LocalKeyring(file, std::move(*keys)));
}

LocalKeyring::LocalKeyring(std::filesystem::path file, std::vector<MasterKey> keys)
    : file_(std::move(file)), keys_(std::move(keys)), scopes_file_(scopeSecretsPath(file_)) {}

boost::asio::awaitable<Result<std::string>> LocalKeyring::wrap(std::string data_key,
                                                               std::string context) {
  auto r = wrapNow(data_key, context);
  crypto::wipe(data_key);
  co_return r;
}

boost::asio::awaitable<Result<std::string>> LocalKeyring::unwrap(std::string wrapped,
                                                                 std::string context) {
  co_return unwrapNow(wrapped, context);
}

Result<std::string> LocalKeyring::wrapNow(std::string_view data_key,
                                          std::string_view context) const {
  if (data_key.size() != crypto::kKeyBytes) {
    return makeError(Code::internal, "data key must be 32 bytes");
  }
  std::shared_lock lock(mu_);
  const MasterKey& k = keys_.back();
  std::string out;
  out += kWrapFormat;
  out += static_cast<char>(k.id.size());  // ids are at most 64 bytes (keyring_file.cpp)
  out += k.id;
  out += crypto::seal(k.key.view(), wrapAd(k.id, context), data_key);
  return out;
}

Result<std::string> LocalKeyring::unwrapNow(std::string_view wrapped,
                                            std::string_view context) const {
  if (!wrapped.empty() && wrapped[0] == kScopedWrapFormat) return unwrapScoped(wrapped, context);
  if (wrapped.size() < 2 || wrapped[0] != kWrapFormat) {
    return makeError(Code::internal, "wrapped key is malformed");
  }
  std::size_t id_len = static_cast<unsigned char>(wrapped[1]);
  if (wrapped.size() < 2 + id_len + crypto::kSealOverhead) {
    return makeError(Code::internal, "wrapped key is malformed");
  }
  std::string_view id = wrapped.substr(2, id_len);
  std::string_view sealed = wrapped.substr(2 + id_len);
  std::shared_lock lock(mu_);
  for (const MasterKey& k : keys_) {
    if (k.id != id) continue;
    auto key = crypto::open(k.key.view(), wrapAd(k.id, context), sealed);
    if (!key) return unwrapFailed();
    if (key->size() != crypto::kKeyBytes) {
      crypto::wipe(*key);
      return makeError(Code::internal, "unwrapped key is not 32 bytes");
    }
    return key;
  }
  // The id came from the blob: show it as hex unless it is a well-formed id.
  bool printable = std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  std::string shown = printable ? std::string(id) : "0x" + crypto::toHex(id);
  return makeError(Code::internal, "master key " + shown + " not in keyring");
}

Result<std::string> LocalKeyring::rotate() {
  std::unique_lock lock(mu_);
  std::vector<MasterKey> next;
  next.reserve(keys_.size() + 1);
  for (const MasterKey& k : keys_) {
    next.push_back(MasterKey{k.id, k.created_ms, crypto::SecretBytes(std::string(k.key.view()))});
  }
  next.push_back(newMasterKey());
  Status written = replaceKeyringFile(file_, next);
  if (!written) return written.error();
  keys_ = std::move(next);
  return keys_.back().id;
}

std::string LocalKeyring::currentKeyId() const {
  std::shared_lock lock(mu_);
  return keys_.back().id;
}

Result<KeyProviderPtr> openLocalKeyring(const std::filesystem::path& file) {
  auto k = LocalKeyring::open(file);
  if (!k) return k.error();
  return KeyProviderPtr(std::move(*k));
}

}  // namespace parley::keyring
