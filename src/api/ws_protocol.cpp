#include "api/ws_protocol.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "api/commands.h"
#include "api/json_input.h"
#include "api/router.h"
#include "core/metrics.h"
#include "service/frames.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr int kCloseUnauthorized = 4001;

}  // namespace

const char* phaseName(Phase p) {
  switch (p) {
    case Phase::awaiting_hello:
      return "awaiting_hello";
    case Phase::replaying:
      return "replaying";
    case Phase::live:
      return "live";
    case Phase::closing:
      return "closing";
    case Phase::closed:
      return "closed";
  }
  return "?";
}

WsProtocol::WsProtocol(ApiContext& ctx, WsConnection& conn, std::string remote_ip,
                       std::string authorization, std::string cookie)
    : ctx_(ctx),
      conn_(conn),
      remote_ip_(std::move(remote_ip)),
      authorization_(std::move(authorization)),
      cookie_(std::move(cookie)) {}

// One message at a time: while replaying nothing is read; while closing, messages are dropped.
// (No co_await inside a switch: g++ 12 miscompiles it.)
Task<void> WsProtocol::onText(std::string text) {
  if (phase_ == Phase::live) {
    co_await command(text);
  } else if (phase_ == Phase::awaiting_hello) {
    phase_ = Phase::replaying;
    bool ok = co_await hello(text);
    if (ok && phase_ == Phase::replaying) phase_ = Phase::live;
  }
}

void WsProtocol::onBinary() {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  replyError({Code::bad_request, "frames must be text"}, nullptr);
}

void WsProtocol::closing() {
  if (phase_ != Phase::closed) phase_ = Phase::closing;
}

Task<void> WsProtocol::leave() {
  if (!feed_) co_return;
  bool last = conn_.detach();
  co_await ctx_.presence.disconnected(auth_.user.id, last);
}

bool WsProtocol::tryDeliver(LiveItem& item, LiveFeed::Frames& out) {
  return feed_->tryProcess(item, out);
}

Task<Result<LiveFeed::Frames>> WsProtocol::deliver(LiveItem item) {
  if (item.payload) co_return co_await feed_->process(std::move(item));
  co_return co_await feed_->catchUpAll();
}

void WsProtocol::replyError(const Error& e, const json::value* req) {
  metrics().countError(e.code);
  conn_.reply(frames::error(e, req));
}

Task<void> WsProtocol::refuseHello(const Error& e, int code) {
  LiveFeed::Frames frames;
  frames.push_back(directItem(frames::error(e, nullptr)));
  co_await conn_.send(std::move(frames));
  conn_.close(code, true);
}

// ---- hello ----

// Authenticates the first frame, attaches to the Hub, replays what the client missed.
Task<bool> WsProtocol::hello(const std::string& text) {
  Error unauthorized{Code::unauthorized, "the first frame must be hello with a valid token"};
  auto frame = parseObject(text, ctx_.edge.json_max_depth);
  auto type = frame ? optString(*frame, "type") : Result<std::optional<std::string>>(frame.error());
  if (!frame || !type || *type != std::optional<std::string>("hello")) {
    co_await refuseHello(unauthorized, kCloseUnauthorized);
    co_return false;
  }
  auto auth = co_await authenticate(*frame);
  if (!auth) {
    co_await refuseHello(auth.error(), kCloseUnauthorized);
    co_return false;
  }
  auth_ = std::move(*auth);
  auto rooms = co_await ctx_.rooms.roomsOf(auth_.user.id);
  if (!rooms) {
    co_await refuseHello(rooms.error(), 1011);
    co_return false;
  }
  co_return co_await replay(*frame, *rooms);
}

Task<Result<AuthContext>> WsProtocol::authenticate(const json::object& frame) {
  auto token = optString(frame, "token");
  std::string tok = token && *token ? **token : std::string();
  if (tok.empty()) {
    HttpRequest r;
    r.authorization = authorization_;
    r.cookie = cookie_;
    bool from_cookie = false;
    tok = Router::tokenOf(r, from_cookie);
  }
  // The upgrade's headers were needed only for the token; an idle socket keeps nothing.
  std::string().swap(authorization_);
  std::string().swap(cookie_);
  co_return co_await ctx_.accounts.authenticate(tok, remote_ip_);
}

// Sends ready, what each room missed, the presence snapshot and caught_up. False if the
// connection closed on the way (the Store failed, or the outbound cap was passed).
Task<bool> WsProtocol::replay(const json::object& frame, const std::vector<RoomSummary>& rooms) {
  // The socket may have gone while the Store answered: then there is nothing to attach.
  if (phase_ != Phase::replaying) co_return false;
  // Attach before reading seqs: anything committed from here on is queued, and the feed
  // drops what the replay below already covered.
  std::vector<RoomId> ids;
  for (auto& s : rooms) ids.push_back(s.room.id);
  feed_ = std::make_unique<LiveFeed>(ctx_.messages, auth_.user.id, ctx_.limits.resume_max_events);
  bool first = conn_.attach(ids);

  LiveFeed::Frames head;
  head.push_back(directItem(frames::ready(auth_.user, auth_.session.id, rooms)));
  if (!co_await conn_.send(std::move(head))) co_return false;

  const json::object* resume = nullptr;
  if (auto it = frame.find("resume"); it != frame.end() && it->value().is_object()) {
    resume = &it->value().as_object();
  }
  for (auto& s : rooms) {
    Seq have = s.room.last_seq;
    if (resume) {
      if (auto r = resume->find(std::to_string(s.room.id));
          r != resume->end() && r->value().is_int64()) {
        have = std::clamp<Seq>(r->value().get_int64(), 0, s.room.last_seq);
      }
    }
    auto frames = co_await feed_->start(s.room.id, have, s.room.last_seq);
    if (!frames) {
      conn_.close(1011, true);
      co_return false;
    }
    // Paced: a client that does not read is closed with 4008, and the rest of the replay
    // is not read.
    if (!co_await conn_.send(std::move(*frames)) || phase_ != Phase::replaying) co_return false;
  }
  std::string online = co_await ctx_.presence.arrived(auth_.user.id, first);
  LiveFeed::Frames tail;
  tail.push_back(directItem(std::move(online)));
  tail.push_back(directItem(frames::caughtUp()));
  bool sent = co_await conn_.send(std::move(tail));
  co_return sent&& phase_ == Phase::replaying;
}

// ---- commands ----

Task<void> WsProtocol::command(const std::string& text) {
  auto frame = parseObject(text, ctx_.edge.json_max_depth);
  if (!frame) co_return replyError(frame.error(), nullptr);
  const json::value* req = frame->if_contains("req");
  auto type = reqString(*frame, "type");
  if (!type) co_return replyError(type.error(), req);
  if (*type == "ping") co_return conn_.reply(frames::pong(req));
  auto room = reqInt(*frame, "room");
  if (!room) co_return replyError(room.error(), req);
  if (*type == "send") co_return co_await send(*frame, *room, req);
  if (*type == "typing") {
    auto ok = co_await ctx_.messages.typing(auth_.user, *room);
    if (!ok) replyError(ok.error(), req);
    co_return;
  }
  auto result = co_await change(*frame, *type, *room);
  if (!result) co_return replyError(result.error(), req);
  conn_.reply(frames::ack(req, *room, *result));
}

Task<void> WsProtocol::send(const json::object& frame, std::int64_t room, const json::value* req) {
  auto started = std::chrono::steady_clock::now();
  auto cmd = parseSend(frame);
  if (!cmd) co_return replyError(cmd.error(), req);
  auto sent =
      co_await ctx_.messages.send(auth_.user, room, cmd->client_msg_id, std::move(cmd->text),
                                  cmd->reply_to, std::move(cmd->files), cmd->thread_root);
  if (!sent) co_return replyError(sent.error(), req);
  conn_.reply(
      frames::sendAck(req, room, sent->event.meta.seq, cmd->client_msg_id, sent->duplicate));
  metrics().send_to_ack.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// edit, delete and read: the seq the ack carries.
Task<Result<Seq>> WsProtocol::change(const json::object& frame, const std::string& type,
                                     std::int64_t room) {
  auto seq = reqInt(frame, "seq");
  if (!seq) co_return seq.error();
  const User& me = auth_.user;
  if (type == "edit") {
    auto body = reqString(frame, "text");
    if (!body) co_return body.error();
    auto e = co_await ctx_.messages.edit(me, room, *seq, std::move(*body));
    if (!e) co_return e.error();
    co_return e->meta.seq;
  }
  if (type == "delete") {
    auto e = co_await ctx_.messages.remove(me, room, *seq);
    if (!e) co_return e.error();
    co_return e->meta.seq;
  }
  if (type == "read") co_return co_await ctx_.messages.markRead(me.id, room, *seq);
  co_return makeError(Code::bad_request, "unknown frame type");
}

}  // namespace parley::api
