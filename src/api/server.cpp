#include "api/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <stdexcept>

#include "api/json_input.h"
#include "api/static_files.h"
#include "api/websocket_session.h"
#include "core/log.h"
#include "core/metrics.h"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Server::Server(asio::io_context& ioc, ApiContext& ctx)
    : ioc_(ioc), ctx_(ctx), router_(ctx), acceptor_(ioc) {}

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

http::response<http::string_body> toBeast(HttpResponse&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "parley");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

HttpResponse plain(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// The proxy appends the address it saw last: only that entry is not the client's own claim.
std::string clientAddress(const http::request<http::string_body>& req, const std::string& peer,
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

HttpResponse errorResponse(const Error& e) {
  metrics().countError(e.code);
  HttpResponse r;
  r.status = httpStatus(e.code);
  r.body = errorBody(e);
  return r;
}

}  // namespace

asio::awaitable<void> Server::session(tcp::socket socket, std::size_t shard) {
  beast::error_code ignored;
  std::string remote_ip = socket.remote_endpoint(ignored).address().to_string();
  // Small frames must leave at once: with Nagle, a frame waits for the peer's delayed ACK,
  // which parley-bench saw as deliveries held until the receiver sent something.
  socket.set_option(tcp::no_delay(true), ignored);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(ctx_.edge.max_body);
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec == http::error::body_limit) {
      auto res = toBeast(errorResponse({Code::payload_too_large, "request body is over the limit"}),
                         11, false);
      co_await http::async_write(stream, res, kTuple);
      break;
    }
    if (ec) break;
    auto& req = parser.get();
    std::string client_ip = clientAddress(req, remote_ip, ctx_.edge.trust_forwarded_for);
    std::string_view path = req.target();
    path = path.substr(0, path.find('?'));
    std::string host(req[http::field::host]);

    if (beast::websocket::is_upgrade(req)) {
      HttpResponse refusal;
      if (path != "/api/v1/ws") {
        refusal = errorResponse({Code::not_found, "no such route"});
      } else if (req.count(http::field::origin) &&
                 !router_.originAllowed(req[http::field::origin], host)) {
        refusal = errorResponse({Code::origin_not_allowed, "origin not allowed"});
      } else if (stopping_) {
        refusal = errorResponse({Code::unavailable, "shutting down"});
      } else {
        stream.expires_never();
        startWebSocketSession(std::move(stream), parser.release(), ctx_, registry_, client_ip,
                              shard);
        co_return;
      }
      auto res = toBeast(std::move(refusal), req.version(), false);
      co_await http::async_write(stream, res, kTuple);
      break;
    }

    HttpResponse out;
    if (path.starts_with("/api/")) {
      HttpRequest r{std::string(req.method_string()),
                    std::string(req.target()),
                    std::string(req[http::field::authorization]),
                    std::string(req[http::field::cookie]),
                    std::string(req[http::field::origin]),
                    host,
                    std::move(req.body()),
                    client_ip};
      out = co_await router_.handle(std::move(r));
    } else if (path == "/healthz") {
      out = plain(200, "ok\n");
    } else if (path == "/readyz") {
      auto probe = co_await ctx_.store.roomById(0);
      bool ready = probe || probe.error().code == Code::not_found;
      out = plain(ready ? 200 : 503, ready ? "ready\n" : "store unavailable\n");
    } else if (path == "/metrics") {
      out = plain(200, metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
    } else if (req.method() == http::verb::get || req.method() == http::verb::head) {
      out = serveStatic(ctx_.static_dir, path);
    } else {
      out = errorResponse({Code::not_found, "no such route"});
    }
    bool keep_alive = req.keep_alive() && !stopping_;
    auto res = toBeast(std::move(out), req.version(), keep_alive);
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
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
