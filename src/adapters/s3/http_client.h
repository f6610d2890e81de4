// A plain HTTP/1.1 client for the S3 adapter: one request per connection, a deadline on the
// whole exchange and a cap on the response body. The only translation unit that includes
// Beast in this adapter. Thread-safe (no shared state); awaitable from any executor.
//
// No TLS yet: endpoints are reached over plain HTTP (loopback test servers, or an S3 gateway
// on a trusted network). HTTPS to AWS itself is a later step.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/s3/sigv4.h"
#include "core/error.h"

namespace parley::s3 {

struct HttpRequest {
  std::string method;
  std::string host;  // to connect to
  std::string port;
  std::string target;  // path and query, already encoded
  Pairs headers;       // sent as given (Host included by the caller)
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
  std::chrono::milliseconds timeout{30000};
  std::size_t max_body = 64 * 1024 * 1024;
};

// Code::unavailable when the host cannot be resolved or reached, the deadline passes, or the
// response is malformed or over the body cap. Any HTTP status is a successful exchange.
boost::asio::awaitable<Result<HttpResponse>> httpExchange(const HttpRequest& request,
                                                          HttpLimits limits);

}  // namespace parley::s3
