// The server's TLS settings (docs/operations.md, "TLS"): a certificate chain and key in PEM,
// TLS 1.2 and 1.3 only, Mozilla's "intermediate" cipher list. reload() reads the files again
// into a new context: handshakes from then on use it, connections already up keep theirs.
//
// Thread-safe: current() and reload() may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"

namespace boost::asio::ssl {
class context;
}

namespace parley::api {

class TlsContexts {
 public:
  using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

  // Reads the files; a clear error (which file, what OpenSSL said) if they do not make a
  // usable context: unreadable, not PEM, or a key that does not match the certificate.
  static Result<std::shared_ptr<TlsContexts>> load(std::string cert_file, std::string key_file);

  // The context for a new handshake. Connections hold theirs for as long as they live.
  ContextPtr current() const;
  // Reads the files again; on failure keeps the current context and returns the error.
  Status reload();
  std::uint64_t generation() const;

  const std::string& certFile() const { return cert_file_; }

 private:
  TlsContexts(std::string cert_file, std::string key_file, ContextPtr first);

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mutex_;
  ContextPtr current_;            // guarded by mutex_
  std::uint64_t generation_ = 1;  // guarded by mutex_
};

using TlsContextsPtr = std::shared_ptr<TlsContexts>;

}  // namespace parley::api
