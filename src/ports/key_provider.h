// KeyProvider: wraps and unwraps per-room data keys under a master key the operator
// controls (local keyring file now; a KMS later). Parley never stores an unwrapped key.
//
// Contract: thread-safe; `context` (e.g. "room:42:v1") is bound into the wrapping so a
// wrapped key cannot be moved to another room. unwrap fails with Code::internal when the
// blob was tampered with or the master key is gone, Code::unavailable when the provider
// cannot be reached. The returned keys are 32 bytes.
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
};

using KeyProviderPtr = std::unique_ptr<KeyProvider>;

}  // namespace parley
