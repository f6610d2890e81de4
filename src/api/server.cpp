#include "api/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <stdexcept>
#include <tuple>

#include "api/http_io.h"
#include "api/static_files.h"
#include "api/websocket_session.h"
#include "core/log.h"
#include "core/metrics.h"

namespace parley::api {

using namespace http_io;

Server::Server(asio::io_context& ioc, ApiContext& ctx)
    : ioc_(ioc), ctx_(ctx), router_(ctx), acceptor_(ioc) {
  // Two years, as Mozilla's guidelines say; set before any connection (http_io.h).
  if (ctx.edge.hsts) strictTransportSecurity() = "max-age=63072000";
}

Server::~Server() = default;

Result<tcp::endpoint> Server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return makeError(Code::bad_request, "bad listen address: " + host);
  tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return makeError(Code::unavailable, "cannot listen on " + host + ": " + ec.message());
  return acceptor_.local_endpoint();
}

void Server::start() {
  // Sessions rely on the Hub calling them on their own strand: an unsharded Hub (which
  // routes inline, for unit tests) would push from the Bus's thread.
  if (!ctx_.hub.shardExecutor(0))
    throw std::logic_error("api::Server needs a Hub built with shard executors");
  asio::co_spawn(ioc_, acceptLoop(), [](std::exception_ptr e) {
    if (e) log::error("accept_loop_failed");
  });
}

asio::awaitable<void> Server::acceptLoop() {
  while (!stopping_) {
    // Every connection runs on one of the Hub's shards, so that a WebSocket it upgrades to
    // is fanned out to without a hop between executors.
    std::size_t shard = ctx_.hub.pickShard();
    asio::any_io_executor ex = ctx_.hub.shardExecutor(shard);
    auto [ec, socket] = co_await acceptor_.async_accept(ex, kTuple);
    if (ec == asio::error::operation_aborted || stopping_) break;
    if (ec) {
      log::warn("accept_failed", {{"error", ec.message()}});
      continue;
    }
    asio::co_spawn(ex, session(std::move(socket), shard), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        log::error("http_session_failed", {{"what", x.what()}});
      }
    });
  }
}

namespace {

// The path of an origin-form target, without its query.
std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// A file of the built client, written straight from the shared in-memory table (no copy).
http::response<http::span_body<const char>> staticResponse(const StaticFile& file, unsigned version,
                                                           bool keep_alive, bool head) {
  http::response<http::span_body<const char>> res{http::status::ok, version};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, file.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, file.cache_control);
  for (auto& [k, v] : StaticSite::securityHeaders()) res.insert(k, v);
  res.body() = {file.body.data(), file.body.size()};
  finish(res, keep_alive, head);
  return res;
}

// The paths Server::answer routes itself; the static route takes none of them.
bool isServerRoute(std::string_view path) {
  return path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics";
}

// GET or HEAD of a path no other route takes: a file of the built client, or nullptr
// (answered as any missing route).
const StaticFile* staticFile(const ApiContext& ctx, http::verb method, std::string_view path) {
  if (!ctx.static_site || isServerRoute(path)) return nullptr;
  if (method != http::verb::get && method != http::verb::head) return nullptr;
  return ctx.static_site->find(path);
}

HttpResponse plain(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// The proxy appends the address it saw last: only that entry is not the client's own claim.
template <class Fields>
std::string clientAddress(const http::request_header<Fields>& req, const std::string& peer,
                          bool trust_forwarded_for) {
  if (!trust_forwarded_for) return peer;
  std::string_view xff = req["X-Forwarded-For"];
  if (xff.empty()) return peer;
  auto comma = xff.rfind(',');
  std::string_view last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  beast::error_code ec;
  auto addr = asio::ip::make_address(last, ec);
  return ec ? peer : addr.to_string();
}

// Bytes that are not a valid HTTP/1.1 request, as opposed to a client that went away or
// stalled (then there is nobody to answer).
bool malformed(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// A body whose length another reader could take differently (RFC 9112, 6.1 and 6.3): any
// Transfer-Encoding but a single "chunked" on HTTP/1.1. Beast ignores a coding it does not
// know and reads no body, so the body would be taken for the next request.
template <class Fields>
bool ambiguousFraming(const http::request_header<Fields>& req) {
  auto te = req.equal_range(http::field::transfer_encoding);
  if (te.first == te.second) return false;
  return std::next(te.first) != te.second || !beast::iequals(te.first->value(), "chunked") ||
         req.version() < 11;
}

// Answers bytes that are not a request we can read with 400, then closes: what follows
// them cannot be told apart from a request of its own.
template <class Stream>
asio::awaitable<void> refuseMalformed(Stream& stream, std::string why) {
  Error e{Code::bad_request, std::move(why)};  // named (g++ 12: src/README.md)
  HttpResponse out = errorResponse(e);
  // clang-tidy 14 reads the coroutine frame's own copy of `why` as a use after the move above.
  // NOLINTNEXTLINE(bugprone-use-after-move)
  co_await refuseUpload(stream, std::move(out), 11);
}

// The TLS handshake, within 30 s. A client that fails it (plain HTTP on the TLS port, an
// old protocol version, no common cipher) is counted and dropped: there is no channel to
// answer it on.
asio::awaitable<bool> handshake(HttpStream& stream) {
  stream.expires_after(std::chrono::seconds(30));
  auto [ec] = co_await stream.tls()->async_handshake(asio::ssl::stream_base::server, kTuple);
  if (ec) {
    metrics().tls_handshakes_failed.inc();
    log::debug("tls_handshake_failed", {{"error", ec.message()}});
    co_return false;
  }
  co_return true;
}

}  // namespace

asio::awaitable<void> Server::session(tcp::socket socket, std::size_t shard) {
  beast::error_code ignored;
  std::string remote_ip = socket.remote_endpoint(ignored).address().to_string();
  // Small frames must leave at once: with Nagle, a frame waits for the peer's delayed ACK,
  // which parley-bench saw as deliveries held until the receiver sent something.
  socket.set_option(tcp::no_delay(true), ignored);
  Connection c{
      ctx_.tls ? HttpStream(std::move(socket), ctx_.tls->current()) : HttpStream(std::move(socket)),
      {},
      std::move(remote_ip),
      shard,
      {},
      {}};
  if (c.stream.tls()) {
    bool up = co_await handshake(c.stream);
    if (!up) co_return;
  }
  for (;;) {
    bool has_header = co_await readHeader(c);
    if (!has_header) break;
    Next next = co_await dispatch(c);
    if (next == Next::handed_off) co_return;
    if (next == Next::close) break;
  }
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// The header first: an upload's body is streamed, everything else is read whole.
asio::awaitable<bool> Server::readHeader(Connection& c) {
  c.head.emplace();
  c.head->header_limit(16 * 1024);
  c.head->body_limit(boost::none);  // limits are set once the route is known
  c.stream.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await http::async_read_header(c.stream, c.buffer, *c.head, kTuple);
  if (ec) {
    std::string why = "malformed request: " + ec.message();
    if (malformed(ec)) co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  if (ambiguousFraming(c.head->get())) {
    std::string why = "Transfer-Encoding must be chunked alone, on HTTP/1.1";
    co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  co_return true;
}

asio::awaitable<Server::Next> Server::dispatch(Connection& c) {
  const auto& header = c.head->get();
  std::string client_ip = clientAddress(header, c.remote_ip, ctx_.edge.trust_forwarded_for);
  auto file_route = matchFileRoute(header.method_string(), pathOf(header.target()));
  bool kept = false;
  if (file_route && file_route->kind == FileRoute::Kind::upload) {
    kept = co_await uploadFile(c, *file_route, client_ip);
    co_return kept ? Next::keep : Next::close;
  }
  bool read = co_await readBody(c);
  if (!read) co_return Next::close;
  if (beast::websocket::is_upgrade(c.req)) {
    Next next = co_await upgrade(c, std::move(client_ip));
    co_return next;
  }
  const bool head = c.req.method() == http::verb::head;
  if (file_route) {
    kept = co_await serveFile(c, *file_route, client_ip);
  } else if (auto* file = staticFile(ctx_, c.req.method(), pathOf(c.req.target()))) {
    const bool keep_alive = c.req.keep_alive() && !stopping_;
    auto res = staticResponse(*file, c.req.version(), keep_alive, head);
    auto [ec, n] = co_await http::async_write(c.stream, res, kTuple);
    kept = !ec && keep_alive;
  } else {
    HttpResponse out = co_await answer(c, client_ip);
    const bool keep_alive = c.req.keep_alive() && !stopping_;
    auto res = toBeast(std::move(out), c.req.version(), keep_alive, head);
    auto [ec, n] = co_await http::async_write(c.stream, res, kTuple);
    kept = !ec && keep_alive;
  }
  co_return kept ? Next::keep : Next::close;
}

asio::awaitable<bool> Server::readBody(Connection& c) {
  // The header parser checked no Content-Length (an upload's may be large): check it here,
  // as the string parser only counts chunked bodies against its limit from now on.
  http::request_parser<http::string_body> parser(std::move(*c.head));
  parser.body_limit(ctx_.edge.max_body);
  beast::error_code ec;
  if (parser.content_length() && *parser.content_length() > ctx_.edge.max_body) {
    ec = http::error::body_limit;
  } else {
    std::tie(ec, std::ignore) = co_await http::async_read(c.stream, c.buffer, parser, kTuple);
  }
  if (ec == http::error::body_limit) {
    auto res = toBeast(errorResponse({Code::payload_too_large, "request body is over the limit"}),
                       11, false);
    co_await http::async_write(c.stream, res, kTuple);
    co_return false;
  }
  if (ec) {
    std::string why = "malformed request: " + ec.message();
    if (malformed(ec)) co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  c.req = parser.release();
  co_return true;
}

asio::awaitable<Server::Next> Server::upgrade(Connection& c, std::string client_ip) {
  std::string_view origin = c.req[http::field::origin];
  HttpResponse refusal;
  const bool echo = ctx_.edge.test_echo && pathOf(c.req.target()) == "/api/v1/test/echo";
  if (pathOf(c.req.target()) != "/api/v1/ws" && !echo) {
    refusal = errorResponse({Code::not_found, "no such route"});
  } else if (c.req.count(http::field::origin) &&
             !router_.originAllowed(origin, c.req[http::field::host])) {
    refusal = errorResponse({Code::origin_not_allowed, "origin not allowed"});
  } else if (stopping_) {
    refusal = errorResponse({Code::unavailable, "shutting down"});
  } else {
    c.stream.expires_never();
    startWebSocketSession(std::move(c.stream), std::move(c.req), ctx_, registry_,
                          std::move(client_ip), c.shard, echo);
    co_return Next::handed_off;
  }
  auto res = toBeast(std::move(refusal), c.req.version(), false);
  co_await http::async_write(c.stream, res, kTuple);
  co_return Next::close;
}

// A request read whole that is not a file route nor a file of the built web client: the
// API, the operations endpoints, else the missing route.
asio::awaitable<HttpResponse> Server::answer(Connection& c, const std::string& client_ip) {
  std::string_view path = pathOf(c.req.target());
  if (path.starts_with("/api/")) {
    HttpRequest r = routerRequest(c.req, client_ip);
    r.body = std::move(c.req.body());
    HttpResponse out = co_await router_.handle(std::move(r));
    co_return out;
  }
  if (path == "/healthz") co_return plain(200, "ok\n");
  if (path == "/readyz") {
    bool ready = co_await ctx_.rooms.storeReady();
    if (!ready) co_return plain(503, "store unavailable\n");
    // The key service being down leaves the node useful (warm rooms work), so it stays
    // ready, and says so (docs/operations.md, "When the key service is down").
    if (metrics().key_breaker_state.value() == 2) {  // open
      co_return plain(200, "ready\nkey service: down (circuit open; cold rooms answer 503)\n");
    }
    co_return plain(200, "ready\n");
  }
  if (path == "/metrics") {
    co_return plain(200, metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
  }
  // Whatever the reason a path is not served (static_files.h), the answer is this one.
  co_return errorResponse({Code::not_found, "no such route"});
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds deadline) {
  stopping_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  registry_.closeAll(1001);
  // Wait for the sessions to finish their last writes and close handshakes.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto until = std::chrono::steady_clock::now() + deadline;
  while (registry_.size() > 0 && std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(kTuple);
  }
}

}  // namespace parley::api
