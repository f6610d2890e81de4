// One device's WebSocket (docs/protocol.md): hello and resume, then a reader that handles
// client frames and a single writer that drains a byte-capped queue through the LiveFeed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/api_context.h"
#include "api/session_registry.h"

namespace parley::api {

// Takes over an upgraded HTTP stream: answers the handshake (ws_upgrade.cpp), then runs the
// session, which keeps itself alive until it closes. `stream` must run on Hub shard
// `shard`'s executor.
void startWebSocketSession(boost::beast::tcp_stream&& stream,
                           boost::beast::http::request<boost::beast::http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard);

// The session proper, on the socket after a completed handshake (websocket_session.cpp).
// The upgrade's Authorization and Cookie are kept only until hello has read a token.
void runWebSocketSession(boost::asio::ip::tcp::socket&& socket, std::string authorization,
                         std::string cookie, ApiContext& ctx, SessionRegistry& registry,
                         std::string remote_ip, std::size_t shard);

}  // namespace parley::api
