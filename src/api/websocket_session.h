// One device's WebSocket (docs/protocol.md): hello and resume, then a reader that handles
// client frames and a single writer that drains a byte-capped queue through the LiveFeed.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/api_context.h"
#include "api/session_registry.h"

namespace parley::api {

// Takes over an upgraded HTTP stream; the session keeps itself alive until it closes.
// `stream` must run on Hub shard `shard`'s executor.
void startWebSocketSession(boost::beast::tcp_stream&& stream,
                           boost::beast::http::request<boost::beast::http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard);

}  // namespace parley::api
