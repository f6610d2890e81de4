// A client of the AWS KMS API (JSON 1.1 protocol, SigV4 with service "kms") over the shared
// AWS HTTP client (adapters/aws): HTTPS with certificate verification, kept-alive
// connections, retries with backoff.
//
// Thread-safe: call() may be awaited from any executor, concurrently. Connections run on the
// client's own thread; the caller resumes on its executor. Destroying the client waits for
// calls in flight; none may start once destruction has begun.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/kms/kms_config.h"
#include "core/error.h"

namespace parley::kms {

struct KmsStats {
  std::atomic<std::uint64_t> requests{0};  // HTTP exchanges, retries included
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> connections_opened{0};
};

class KmsClient {
 public:
  explicit KmsClient(KmsConfig config, std::shared_ptr<KmsStats> stats = nullptr);
  ~KmsClient();
  KmsClient(const KmsClient&) = delete;
  KmsClient& operator=(const KmsClient&) = delete;

  // Sends `action` ("Encrypt", "Decrypt", "CreateKey", …: X-Amz-Target TrentService.<action>)
  // with the JSON `body`; returns the body of the 2xx answer. Connection failures, 5xx and
  // throttling are retried up to max_attempts, then are Code::unavailable. Any other refusal
  // (wrong credentials, InvalidCiphertextException, DisabledException, …) is Code::internal
  // with "kms <action>: HTTP <status> <type>: <message>"; a refused TLS certificate too.
  boost::asio::awaitable<Result<std::string>> call(std::string action, std::string body);

  const KmsConfig& config() const;
  const KmsStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::kms
