// A client of the Vault / OpenBao HTTP API (Transit) over the shared HTTP client of
// adapters/aws (Beast; HTTPS with certificate verification, kept-alive connections), with
// bounded retries and backoff.
//
// The token is sent as X-Vault-Token and nowhere else: it is never part of an error or a
// log line, even when a (malicious) server echoes it back in its answer.
//
// Thread-safe: post() may be awaited from any executor, concurrently. Connections run on the
// client's own thread; the caller resumes on its executor. Destroying the client waits for
// calls in flight; none may start once destruction has begun.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/vault/vault_config.h"
#include "core/error.h"

namespace parley::vault {

struct VaultStats {
  std::atomic<std::uint64_t> requests{0};  // HTTP exchanges, retries included
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> connections_opened{0};
};

class VaultClient {
 public:
  explicit VaultClient(VaultConfig config, std::shared_ptr<VaultStats> stats = nullptr);
  ~VaultClient();
  VaultClient(const VaultClient&) = delete;
  VaultClient& operator=(const VaultClient&) = delete;

  // POSTs the JSON `body` to /v1/<mount>/<operation>/<key name> ("encrypt", "decrypt") and
  // returns the body of the 2xx answer (at most 64 KiB). Connection failures, timeouts, 5xx
  // and 429 are retried up to max_attempts, then are Code::unavailable. Every other answer
  // (403 permission denied or a wrong token, 400 a tampered ciphertext or wrong context, 404)
  // is Code::internal, not retried, with "vault <operation>: HTTP <status>: <errors>"; so is a
  // refused TLS certificate and an answer over 64 KiB.
  boost::asio::awaitable<Result<std::string>> post(std::string operation, std::string body);

  const VaultConfig& config() const;
  const VaultStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::vault
