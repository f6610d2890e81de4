// One device's WebSocket (docs/protocol.md): hello and resume, then a reader that handles
// client frames and a single writer that drains a byte-capped queue through the LiveFeed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/api_context.h"
#include "api/session_registry.h"
#include "api/ws_socket.h"

namespace parley::api {

// Takes over an upgraded HTTP stream: answers the handshake (ws_upgrade.cpp), then runs the
// session, which keeps itself alive until it closes. `stream` must run on Hub shard
// `shard`'s executor. `echo`: the test echo endpoint (ApiContext::EdgeLimits::test_echo).
void startWebSocketSession(HttpStream&& stream,
                           boost::beast::http::request<boost::beast::http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard, bool echo = false);

// The session proper, on the socket after a completed handshake (websocket_session.cpp).
// The upgrade's Authorization and Cookie are kept only until hello has read a token.
void runWebSocketSession(WsSocket&& socket, std::string authorization, std::string cookie,
                         ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                         std::size_t shard, bool echo = false);

}  // namespace parley::api
