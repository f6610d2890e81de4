// LocalKeyring: the KeyProvider of the embedded default. Master keys live in a local file
// (keyring_file.h) that the node creates 0600 on first start; data keys are wrapped with
// XChaCha20-Poly1305 under the newest master key, with the context bound in as
// associated data.
//
// Wrapped format: 0x01 | id length (1 byte) | key id | nonce (24) | ciphertext+tag (48).
// The key id tells unwrap which master key to use, so after rotate() old blobs still open.
//
// Thread-safe. wrap/unwrap complete without suspending (no I/O). One process owns the
// file: a rotate() made by another process is seen only after reopening.
#pragma once

#include <filesystem>
#include <shared_mutex>
#include <string>
#include <vector>

#include "adapters/keyring/keyring_file.h"
#include "core/error.h"
#include "ports/key_provider.h"

namespace parley::keyring {

class LocalKeyring final : public KeyProvider {
 public:
  // Reads `file`, or creates it with one fresh master key if it does not exist. Fails
  // with Code::internal if the file is not 0600-tight, malformed or unreadable; a bad
  // file is never replaced.
  static Result<std::unique_ptr<LocalKeyring>> open(const std::filesystem::path& file);

  // Code::internal if data_key is not 32 bytes.
  boost::asio::awaitable<Result<std::string>> wrap(std::string data_key,
                                                   std::string context) override;
  // Code::internal on a malformed blob, wrong context, tampering, or a key id not in the
  // keyring ("master key <id> not in keyring").
  boost::asio::awaitable<Result<std::string>> unwrap(std::string wrapped,
                                                     std::string context) override;

  // Adds a fresh master key, rewrites the file atomically and wraps with the new key from
  // now on. Returns the new key id. On failure nothing changes, in memory or on disk.
  Result<std::string> rotate();

  std::string currentKeyId() const;

 private:
  LocalKeyring(std::filesystem::path file, std::vector<MasterKey> keys);
  Result<std::string> wrapNow(std::string_view data_key, std::string_view context) const;
  Result<std::string> unwrapNow(std::string_view wrapped, std::string_view context) const;

  const std::filesystem::path file_;
  mutable std::shared_mutex mu_;
  std::vector<MasterKey> keys_;  // guarded by mu_; oldest first, never empty
};

Result<KeyProviderPtr> openLocalKeyring(const std::filesystem::path& file);

}  // namespace parley::keyring
