// The WebSocket upgrade: Beast answers the handshake, then hands the bare socket to the
// session (websocket_session.cpp), which frames with ws_frame from then on. The one
// translation unit that compiles Beast's WebSocket stream.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <optional>

#include "api/http_stream.h"
#include "api/websocket_session.h"
#include "core/log.h"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Beast's WebSocket stream closes its next layer through these (found by argument-dependent
// lookup). They run only when the handshake fails: the connection is just closed.
void teardown(beast::role_type, HttpStream& stream, beast::error_code& ec) {
  stream.socket().close(ec);
}

// And this on the handshake's timeout.
void beast_close_socket(HttpStream& stream) {
  beast::error_code ignored;
  stream.socket().close(ignored);
}

template <class Handler>
void async_teardown(beast::role_type, HttpStream& stream, Handler&& handler) {
  beast::error_code ec;
  stream.socket().close(ec);
  asio::post(stream.get_executor(), beast::bind_front_handler(std::forward<Handler>(handler), ec));
}

namespace {

// Beast answers the upgrade (checks, Sec-WebSocket-Accept, 101); then the socket is the
// session's, and Beast's stream (its state and buffers) is gone.
awaitable<void> acceptUpgrade(HttpStream stream, http::request<http::string_body> upgrade,
                              ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                              std::size_t shard, bool echo) {
  std::string authorization(upgrade[http::field::authorization]);
  std::string cookie(upgrade[http::field::cookie]);
  std::optional<WsSocket> socket;
  {
    websocket::stream<HttpStream> ws(std::move(stream));
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws.set_option(t);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "parley"); }));
    auto [ec] = co_await ws.async_accept(upgrade, kTuple);
    if (ec) co_return;
    socket.emplace(std::move(ws.next_layer()));
  }
  upgrade = {};
  runWebSocketSession(std::move(*socket), std::move(authorization), std::move(cookie), ctx,
                      registry, std::move(remote_ip), shard, echo);
}

}  // namespace

void startWebSocketSession(HttpStream&& stream, http::request<http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard, bool echo) {
  auto ex = stream.get_executor();
  asio::co_spawn(ex,
                 acceptUpgrade(std::move(stream), std::move(upgrade), ctx, registry,
                               std::move(remote_ip), shard, echo),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     log::error("websocket_session_failed", {{"what", x.what()}});
                   }
                 });
}

}  // namespace parley::api
