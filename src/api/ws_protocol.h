// The WebSocket protocol of one connection (docs/protocol.md), with no socket in it: text
// messages in; replies, frames and effects (attach to the Hub, close) out through a
// WsConnection. Unit tests drive it directly (tests/unit/api/ws_protocol_test.cpp).
//
// A connection goes through explicit phases:
//   awaiting_hello → replaying (hello is authenticating and replaying) → live → closing
// and ends `closed` (the socket is gone). A bad hello, a close from either side, or a full
// outbound queue moves it to closing from any phase before.
//
// Not thread-safe: used on the connection's strand only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "service/live_feed.h"

namespace parley::api {

enum class Phase { awaiting_hello, replaying, live, closing, closed };
const char* phaseName(Phase p);

// What the protocol asks of its connection: the session glue, or a recorder in tests.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Frames to write as they are, before anything queued (hello's replay), paced by the
  // client's reading. False when the connection closes on the way (a client too slow is
  // closed with 4008).
  virtual Task<bool> send(LiveFeed::Frames frames) = 0;
  // A reply to a command: queued behind the live events already queued.
  virtual void reply(std::string frame) = 0;
  // Closes with `code` (keep_output: what was sent still goes out first).
  virtual void close(int code, bool keep_output) = 0;
  // Joins the Hub with `rooms`; true if it is the user's first connection on this node.
  virtual bool attach(const std::vector<RoomId>& rooms) = 0;
  // Leaves the Hub; true if it was the user's last connection on this node.
  virtual bool detach() = 0;
};

class WsProtocol {
 public:
  // `authorization` and `cookie` are the upgrade request's, for a hello without a token.
  WsProtocol(ApiContext& ctx, WsConnection& conn, std::string remote_ip, std::string authorization,
             std::string cookie);

  Phase phase() const { return phase_; }
  // The caller of a live connection (valid from the phase live on).
  const AuthContext& auth() const { return auth_; }

  // One whole text message from the client: the first must be hello, then commands.
  Task<void> onText(std::string text);
  // A binary message: refused with an error reply (nothing else changes).
  void onBinary();

  // Live delivery of an item from the Hub (or a reply), through the LiveFeed: see
  // LiveFeed::tryProcess and LiveFeed::process. An item without payload is a backfill.
  bool tryDeliver(LiveItem& item, LiveFeed::Frames& out);
  Task<Result<LiveFeed::Frames>> deliver(LiveItem item);

  // The connection is closing (its close frame is on its way).
  void closing();
  // The socket is gone: the phase is closed at once; then leave() the Hub and presence.
  void closed() { phase_ = Phase::closed; }
  Task<void> leave();

 private:
  Task<bool> hello(const std::string& text);
  Task<Result<AuthContext>> authenticate(const boost::json::object& frame);
  Task<bool> replay(const boost::json::object& frame, const std::vector<RoomSummary>& rooms);
  Task<void> command(const std::string& text);
  Task<void> send(const boost::json::object& frame, std::int64_t room,
                  const boost::json::value* req);
  Task<Result<Seq>> change(const boost::json::object& frame, const std::string& type,
                           std::int64_t room);
  void replyError(const Error& e, const boost::json::value* req);
  Task<void> refuseHello(const Error& e, int code);

  ApiContext& ctx_;
  WsConnection& conn_;
  std::string remote_ip_;
  std::string authorization_;  // of the upgrade request, for hello (then dropped)
  std::string cookie_;
  Phase phase_ = Phase::awaiting_hello;
  AuthContext auth_;
  std::unique_ptr<LiveFeed> feed_;  // from hello on; also: attached to the Hub
};

}  // namespace parley::api
