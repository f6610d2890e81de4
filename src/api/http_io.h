// What server.cpp and file_transfer.cpp share: one HTTP connection, and turning an
// HttpResponse into Beast's and writing it. Internal to api/ (Beast templates: include it
// only from those two translation units).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "api/http_stream.h"
#include "api/json_input.h"
#include "api/router.h"
#include "api/server.h"
#include "core/metrics.h"

namespace parley::api {

namespace http_io {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace http_io

struct Server::Connection {
  HttpStream stream;
  boost::beast::flat_buffer buffer;
  std::string remote_ip;  // the peer; the client's own address is clientAddress()
  std::size_t shard;      // the Hub shard whose executor runs this connection
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>>
      head;                                                          // the request being read
  boost::beast::http::request<boost::beast::http::string_body> req;  // once read whole
};

namespace http_io {

// The Strict-Transport-Security value every response carries (--hsts), or empty. Set once
// by the Server's constructor, before any connection; only read after that.
inline std::string& strictTransportSecurity() {
  static std::string value;
  return value;
}

// A response to HEAD carries the Content-Length of the GET but no body.
template <class Body>
void finish(http::response<Body>& res, bool keep_alive, bool head) {
  if (!strictTransportSecurity().empty())
    res.set(http::field::strict_transport_security, strictTransportSecurity());
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (head) {
    auto length = res.payload_size();
    res.body() = {};
    res.content_length(length);
  }
}

inline http::response<http::string_body> toBeast(HttpResponse&& r, unsigned version,
                                                 bool keep_alive, bool head = false) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "parley");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  finish(res, keep_alive, head);
  return res;
}

inline HttpResponse errorResponse(const Error& e) {
  metrics().countError(e.code);
  HttpResponse r;
  r.status = httpStatus(e.code);
  r.body = errorBody(e);
  if (e.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  return r;
}

// The request as the router sees it; the one way an HttpRequest is built. Its body, if
// any, is read separately and moved in by the caller.
template <class Fields>
HttpRequest routerRequest(const http::request_header<Fields>& req, const std::string& client_ip) {
  return HttpRequest{std::string(req.method_string()),
                     std::string(req.target()),
                     std::string(req[http::field::authorization]),
                     std::string(req[http::field::cookie]),
                     std::string(req[http::field::origin]),
                     std::string(req[http::field::host]),
                     {},
                     client_ip};
}

template <class Stream>
asio::awaitable<bool> writeResponse(Stream& stream, HttpResponse&& out, unsigned version,
                                    bool keep_alive) {
  auto res = toBeast(std::move(out), version, keep_alive);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec && keep_alive;
}

// Answers an upload that will not be read to its end, then closes the connection gently:
// the client may still be sending, and closing with unread bytes would reset the
// connection before it reads the answer. Reads (and drops) a bounded amount meanwhile.
template <class Stream>
asio::awaitable<bool> refuseUpload(Stream& stream, HttpResponse&& out, unsigned version) {
  co_await writeResponse(stream, std::move(out), version, false);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::string sink(64 * 1024, '\0');
  std::size_t dropped = 0;
  stream.expires_after(std::chrono::seconds(5));
  while (dropped < 16 * 1024 * 1024) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
    dropped += n;
  }
  co_return false;
}

}  // namespace http_io
}  // namespace parley::api
