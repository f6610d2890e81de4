// The HTTP/1.1 client of the AWS adapters (S3, KMS): plain HTTP or HTTPS, with a bounded pool of
// kept-alive connections. The only translation unit that includes Beast in these adapters.
//
// HTTPS verifies the server's certificate chain against the system's trust store (or the
// CAs of `ca_file`) and the certificate's name against `HttpRequest::tls_name` (a DNS name,
// sent as SNI too, or an IP address), TLS 1.2 at least. There is no way to turn
// verification off.
//
// Connections: each exchange borrows an idle connection to the same endpoint if one is
// pooled, else opens one; after a complete response that allows keep-alive the connection
// goes back to the pool. At most `max_idle` idle connections are kept (the oldest is closed
// beyond that), none longer than `idle_timeout`. Open connections = exchanges in flight +
// idle ones. A pooled connection that the server closed while idle fails before any byte of
// an answer; the exchange is then repeated once on a new connection (as any HTTP client
// with keep-alive does), which the caller does not see.
//
// Thread-safety: exchange() may be awaited from any executor, concurrently. The client runs
// its connections on its own thread (its own io_context) and resumes the caller on the
// caller's executor, so pooled connections never depend on a caller's io_context staying
// alive. Destroying the client waits for the exchanges in flight, then closes everything;
// no exchange may start once destruction has begun.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/aws/sigv4.h"
#include "core/error.h"

namespace parley::aws {

struct HttpRequest {
  std::string method;
  std::string host;  // to connect to (a name to resolve, or an address)
  std::string port;
  std::string tls_name;  // HTTPS: the name the certificate must carry; empty: `host`
  std::string target;    // path and query, already encoded
  Pairs headers;         // sent as given (Host included by the caller)
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Pairs headers;  // names lower-cased
  std::string body;

  // The first value of `name` (lower case), or "".
  std::string header(std::string_view name) const;
};

struct HttpLimits {
  std::chrono::milliseconds timeout{30000};  // for one exchange, connecting included
  std::size_t max_body = std::size_t{64} * 1024 * 1024;
};

struct HttpClientOptions {
  bool tls = false;
  std::string ca_file;  // PEM file of the CAs to trust; empty: the system's trust store
  std::size_t max_idle = 16;
  std::chrono::milliseconds idle_timeout{10000};
  // Incremented once per TCP (and TLS) connection opened, if set. Must outlive the client.
  std::atomic<std::uint64_t>* connections_opened = nullptr;
};

class HttpClient {
 public:
  // Never fails: if the trust store cannot be loaded, the reason is logged and every
  // exchange fails with it (Code::internal).
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP status is a successful exchange. Errors:
  //   Code::unavailable — the host cannot be resolved or reached, the deadline passes, the
  //     TLS handshake or the connection breaks, the response is malformed;
  //   Code::internal — the server's certificate is refused (untrusted, expired, wrong
  //     name: a configuration error no retry fixes), the trust store did not load, or the
  //     response's body is over max_body or its header over 8 KiB (no retry would shrink it).
  // `request` must stay valid until the exchange completes.
  boost::asio::awaitable<Result<HttpResponse>> exchange(const HttpRequest& request,
                                                        HttpLimits limits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::aws
