#include "adapters/s3/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace parley::s3 {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

Error failed(std::string_view what, const boost::system::error_code& ec) {
  return makeError(Code::unavailable, "s3 http " + std::string(what) + ": " + ec.message());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

asio::awaitable<Result<HttpResponse>> httpExchange(const HttpRequest& request, HttpLimits limits) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  auto [rerr, endpoints] = co_await resolver.async_resolve(request.host, request.port, kAwait);
  if (rerr) co_return failed("resolve", rerr);

  beast::tcp_stream stream(ex);
  stream.expires_after(limits.timeout);
  auto [cerr, ep] = co_await stream.async_connect(endpoints, kAwait);
  if (cerr) co_return failed("connect", cerr);

  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.set(http::field::connection, "close");
  req.body() = request.body;
  req.prepare_payload();
  // S3 wants Content-Length on every PUT and POST, even an empty one.
  if (request.body.empty() && (request.method == "PUT" || request.method == "POST")) {
    req.set(http::field::content_length, "0");
  }
  auto [werr, wn] = co_await http::async_write(stream, req, kAwait);
  if (werr) co_return failed("write", werr);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits.max_body);
  parser.skip(request.method == "HEAD");
  auto [rderr, rn] = co_await http::async_read(stream, buffer, parser, kAwait);
  if (rderr) co_return failed("read", rderr);

  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace parley::s3
