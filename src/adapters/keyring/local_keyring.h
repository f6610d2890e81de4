// LocalKeyring: the KeyProvider of the embedded default. Master keys live in a local file
// (keyring_file.h) that the node creates 0600 on first start; data keys are wrapped with
// XChaCha20-Poly1305 under the newest master key, with the context bound in as
// associated data.
//
// Wrapped format: 0x01 | id length (1 byte) | key id | nonce (24) | ciphertext+tag (48).
// The key id tells unwrap which master key to use, so after rotate() old blobs still open.
// In a shred scope (wrapInScope): 0x02 | id length | key id | scope length (1 byte) | scope |
// nonce | ciphertext+tag, sealed under BLAKE2b(master key || the scope's secret), the secret
// kept in the scope secrets file next to the keyring (scope_secrets.h); destroyScope
// deletes it from that file, after which no copy of the blob opens.
//
// Thread-safe. wrap/unwrap complete without suspending (no I/O). One process owns the
// file: a rotate() made by another process is seen only after reopening.
#pragma once

#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "adapters/keyring/keyring_file.h"
#include "adapters/keyring/scope_secrets.h"
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

  bool canShred() const override { return true; }
  // Code::conflict if the scope was destroyed; Code::internal if the scope is malformed or
  // the scope secrets file cannot be read or written.
  boost::asio::awaitable<Result<std::string>> wrapInScope(std::string data_key, std::string context,
                                                          std::string scope) override;
  // Destroys the scope's secret (and remembers the scope as destroyed). Done once, it is
  // done: destroying a destroyed or unknown scope succeeds.
  boost::asio::awaitable<Status> destroyScope(std::string scope) override;

  // Adds a fresh master key, rewrites the file atomically and wraps with the new key from
  // now on. Returns the new key id. On failure nothing changes, in memory or on disk.
  Result<std::string> rotate();

  std::string currentKeyId() const;

 private:
  static constexpr char kScopedWrapFormat = 0x02;
  LocalKeyring(std::filesystem::path file, std::vector<MasterKey> keys);
  Result<std::string> wrapNow(std::string_view data_key, std::string_view context) const;
  Result<std::string> unwrapNow(std::string_view wrapped, std::string_view context) const;
  Result<std::string> unwrapScoped(std::string_view wrapped, std::string_view context) const;
  Result<std::string> wrapScopedNow(std::string_view data_key, std::string_view context,
                                    const std::string& scope);
  // The secret of `scope` (32 bytes, the caller wipes it), re-reading the file when another
  // process changed it. `create`: make one if the scope has none (under the file's lock).
  Result<std::string> scopeSecret(const std::string& scope, bool create) const;

  const std::filesystem::path file_;
  mutable std::shared_mutex mu_;
  std::vector<MasterKey> keys_;  // guarded by mu_; oldest first, never empty
  const std::filesystem::path scopes_file_;
  mutable std::mutex scope_mu_;
  mutable ScopeSecrets scopes_;     // guarded by scope_mu_: the file as last read
  mutable FileStamp scopes_stamp_;  // guarded by scope_mu_
};

Result<KeyProviderPtr> openLocalKeyring(const std::filesystem::path& file);

}  // namespace parley::keyring
