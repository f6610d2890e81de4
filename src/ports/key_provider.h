// KeyProvider: wraps and unwraps per-room data keys under a master key the operator
// controls: a local keyring file (adapters/keyring), AWS KMS (adapters/kms) or Vault / OpenBao
// Transit (adapters/vault). Parley never stores an unwrapped key; services cache unwrapped keys
// in memory only (RoomKeys, bounded).
//
// Contract: thread-safe; `context` (e.g. "room:42:v1") is bound into the wrapping so a
// wrapped key cannot be moved to another room. unwrap fails with Code::internal when the
// blob was tampered with or the master key is gone, Code::unavailable when the provider
// cannot be reached (after the adapter's own retries). The returned keys are 32 bytes.
// The composition root tries a remote provider once at start (wrap and unwrap a throwaway
// key), so a wrong master key or credential stops the node at once, not at the first send.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  virtual boost::asio::awaitable<Result<std::string>> wrap(std::string data_key,
                                                           std::string context) = 0;
  virtual boost::asio::awaitable<Result<std::string>> unwrap(std::string wrapped,
                                                             std::string context) = 0;

  // Crypto-shredding (DESIGN.md invariant 5). A provider that can shred binds a key wrapped
  // with wrapInScope to a secret of `scope` (RoomKeys uses "room:ID") that it holds on its
  // own side, outside the Store and outside `parley backup`; destroyScope destroys that
  // secret for good, so every copy of every blob wrapped in the scope (the Store's, a
  // backup's) fails to unwrap with Code::internal, and wrapInScope refuses the scope from
  // then on with Code::conflict. A scope is 1 to 64 of [0-9A-Za-z_:-].
  // Providers that cannot shred (KMS, Vault: one master key for every room) say so with
  // canShred() == false, wrap in-scope keys like any other, and destroy nothing.
  virtual bool canShred() const { return false; }
  virtual boost::asio::awaitable<Result<std::string>> wrapInScope(std::string data_key,
                                                                  std::string context,
                                                                  std::string /*scope*/) {
    Result<std::string> wrapped = co_await wrap(std::move(data_key), std::move(context));
    co_return wrapped;
  }
  virtual boost::asio::awaitable<Status> destroyScope(std::string /*scope*/) { co_return Status{}; }
};

using KeyProviderPtr = std::unique_ptr<KeyProvider>;

}  // namespace parley
