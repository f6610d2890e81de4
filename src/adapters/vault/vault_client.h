// A client of the Vault / OpenBao HTTP API (Transit) over the shared HTTP client of
// adapters/aws (Beast; HTTPS with certificate verification, kept-alive connections), with
// bounded retries and backoff.
//
// The token is sent as X-Vault-Token and nowhere else: it is never part of an error or a
// log line, even when a (malicious) server echoes it back in its answer.
//
// With an AppRole (config.approle) the client logs in on first use and keeps its token
// fresh on the way: once two thirds of the token's lease have passed, the next call renews
// it (auth/token/renew-self) or, if it is not renewable, is near its max TTL, or the renewal
// fails, logs in again. One call refreshes while the others go on with the still-valid
// token; a failed refresh is retried by the next call and only fails calls once the token
// has expired. Role id, secret id and tokens are redacted from every error.
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
  std::atomic<std::uint64_t> logins{0};    // AppRole logins that gave a token
  std::atomic<std::uint64_t> renewals{0};  // token renewals that extended its lease
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
