#include "api/websocket_session.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <deque>

#include "api/json_input.h"
#include "api/router.h"
#include "core/log.h"
#include "core/metrics.h"
#include "service/codec.h"
#include "service/live_feed.h"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr int kCloseUnauthorized = 4001;
constexpr int kCloseTooSlow = 4008;

class WebSocketSession final : public Hub::Client,
                               public Closable,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(beast::tcp_stream&& stream, http::request<http::string_body>&& upgrade,
                   ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                   std::size_t shard)
      : ws_(stream.release_socket()),
        upgrade_(std::move(upgrade)),
        ctx_(ctx),
        registry_(registry),
        remote_ip_(std::move(remote_ip)),
        shard_(shard),
        watchdog_(ws_.get_executor()) {}

  awaitable<void> run();
  asio::any_io_executor executor() { return ws_.get_executor(); }

  // Hub::Client
  UserId userId() const override { return auth_.user.id; }
  SessionId sessionId() const override { return auth_.session.id; }
  std::size_t shard() const override { return shard_; }
  void push(const LiveItem& item) override;
  void revoke() override { closeNow(kCloseUnauthorized); }
  void backfillAll() override { push(LiveItem{{FrameKind::direct, -1, 0, 0}, nullptr, 0}); }

  // Closable
  void requestClose(int code) override;

 private:
  awaitable<bool> hello();
  awaitable<void> reader();
  awaitable<void> handleFrame(const std::string& text);
  awaitable<void> closeWith(int code);
  awaitable<bool> writeFrames(const LiveFeed::Frames& frames);
  awaitable<bool> writeText(std::string_view text);
  // The writer (strand only): turns queued items into frames and keeps one write in flight.
  void pump();
  awaitable<void> processSlow(LiveItem item);
  void closeNow(int code);
  void shut() {
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }
  void reply(std::string frame) { push(directItem(std::move(frame))); }
  void replyError(const Error& e, const json::value* req) {
    metrics().countError(e.code);
    reply(errorFrame(e, req));
  }

  // A plain socket under the WebSocket: beast::tcp_stream's per-operation timeout layer
  // costs a composed operation per write and ~0.5 KiB per connection, and the WebSocket
  // stream keeps its own idle timeout and pings.
  websocket::stream<asio::ip::tcp::socket> ws_;
  http::request<http::string_body> upgrade_;
  ApiContext& ctx_;
  SessionRegistry& registry_;
  std::string remote_ip_;
  const std::size_t shard_;
  AuthContext auth_;
  std::unique_ptr<LiveFeed> feed_;
  asio::steady_timer watchdog_;  // forces the socket shut if a close cannot complete

  // Everything below is used only on the strand (the session's Hub shard).
  std::vector<LiveItem> queue_;  // items from the Hub and replies, from queue_head_ on
  std::size_t queue_head_ = 0;
  std::size_t queued_bytes_ = 0;  // bytes of the items in queue_
  LiveFeed::Frames out_;          // frames to write, from out_head_ on; out_[out_head_ - 1]
  std::size_t out_head_ = 0;      //   is the one being written while writing_
  bool started_ = false;          // hello is done: the writer may run
  bool writing_ = false;          // a frame write is in flight
  bool slow_ = false;             // processSlow is filling a gap from the Store
  int close_code_ = 0;            // a close was requested
  bool reader_done_ = false;
  bool closing_ = false;  // async_close was started
};

// On the strand: from the Hub's shard, or a reply from the reader.
void WebSocketSession::push(const LiveItem& item) {
  if (close_code_ != 0 || reader_done_) return;
  queued_bytes_ += item.payload ? item.payload->size() - item.offset : 0;
  if (queued_bytes_ > ctx_.edge.max_outbound) {
    // Policy: a reader this far behind is closed, not waited for; it resumes later.
    metrics().slow_consumers.inc();
    closeNow(kCloseTooSlow);
    return;
  }
  queue_.push_back(item);
  pump();
}

void WebSocketSession::requestClose(int code) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), code] { self->closeNow(code); });
}

// On the strand: drop what is queued, let the write in flight finish, then close.
void WebSocketSession::closeNow(int code) {
  if (close_code_ != 0) return;
  close_code_ = code;
  queue_.clear();
  queue_head_ = 0;
  queued_bytes_ = 0;
  // A peer that never reads can block the close handshake forever: cap it.
  watchdog_.expires_after(std::chrono::seconds(5));
  watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->shut();
  });
  pump();
}

void WebSocketSession::pump() {
  if (!started_ || writing_ || slow_ || closing_) return;
  for (;;) {
    if (close_code_ != 0) {
      closing_ = true;
      ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(close_code_)),
                      [self = shared_from_this()](beast::error_code ec) {
                        if (ec) self->shut();
                      });
      return;
    }
    if (out_head_ < out_.size()) {
      const LiveItem& f = out_[out_head_++];
      if (f.env.kind == FrameKind::event) metrics().events_delivered.inc();
      writing_ = true;
      ws_.text(true);
      std::string_view text = f.frame();
      ws_.async_write(asio::buffer(text.data(), text.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return;  // the reader sees the failure and ends the session
                        self->pump();
                      });
      return;
    }
    out_.clear();
    out_head_ = 0;
    if (queue_head_ == queue_.size()) {
      // Idle: give back what a burst grew, so that an idle connection holds nothing.
      if (queue_.capacity() > 16) queue_ = {};
      if (out_.capacity() > 16) out_ = {};
      queue_.clear();
      queue_head_ = 0;
      return;
    }
    LiveItem& item = queue_[queue_head_++];
    std::size_t bytes = item.payload ? item.payload->size() - item.offset : 0;
    queued_bytes_ -= std::min(bytes, queued_bytes_);
    if (item.payload && feed_->tryProcess(item, out_)) continue;
    // A gap to fill, a room just added, or a backfill: the Store is needed.
    slow_ = true;
    asio::co_spawn(ws_.get_executor(), processSlow(std::move(item)),
                   [self = shared_from_this()](std::exception_ptr e) {
                     if (e) log::error("websocket_writer_failed");
                   });
    return;
  }
}

awaitable<void> WebSocketSession::processSlow(LiveItem item) {
  auto self = shared_from_this();
  // Not a ?: of two co_awaits: g++ 12 destroys such temporaries twice.
  Result<LiveFeed::Frames> frames = LiveFeed::Frames{};
  if (item.payload) {
    frames = co_await feed_->process(std::move(item));
  } else {
    frames = co_await feed_->catchUpAll();
  }
  slow_ = false;
  if (!frames) {
    // The Store could not fill a gap: tell the client to come back and resume.
    closeNow(1011);
    co_return;
  }
  for (auto& f : *frames) out_.push_back(std::move(f));
  pump();
}

awaitable<bool> WebSocketSession::writeText(std::string_view text) {
  ws_.text(true);
  auto [ec, n] = co_await ws_.async_write(asio::buffer(text.data(), text.size()), kTuple);
  co_return !ec;
}

awaitable<bool> WebSocketSession::writeFrames(const LiveFeed::Frames& frames) {
  for (auto& f : frames) {
    if (!co_await writeText(f.frame())) co_return false;
    if (f.env.kind == FrameKind::event) metrics().events_delivered.inc();
  }
  co_return true;
}

awaitable<void> WebSocketSession::closeWith(int code) {
  if (closing_) co_return;
  closing_ = true;
  auto [ec] =
      co_await ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)), kTuple);
  if (ec) shut();
}

// Authenticates the first frame, attaches to the Hub, replays what the client missed.
awaitable<bool> WebSocketSession::hello() {
  // Ten seconds to say hello, then 4001.
  asio::steady_timer hello_timer(ws_.get_executor());
  hello_timer.expires_after(std::chrono::seconds(ctx_.edge.hello_timeout_seconds));
  auto said_hello = std::make_shared<bool>(false);  // the handler may outlive this frame
  hello_timer.async_wait([self = shared_from_this(), said_hello](beast::error_code ec) {
    if (ec || *said_hello || self->closing_) return;
    // Closing while the read is pending is allowed; the read then ends with `closed`.
    self->closing_ = true;
    self->ws_.async_close(websocket::close_reason(kCloseUnauthorized),
                          [self](beast::error_code) {});
  });
  beast::flat_buffer buf;
  auto [ec, n] = co_await ws_.async_read(buf, kTuple);
  *said_hello = true;
  hello_timer.cancel();
  if (ec) co_return false;

  Error unauthorized{Code::unauthorized, "the first frame must be hello with a valid token"};
  auto frame = parseObject(beast::buffers_to_string(buf.data()), ctx_.edge.json_max_depth);
  auto type = frame ? optString(*frame, "type") : Result<std::optional<std::string>>(frame.error());
  if (!frame || !type || *type != std::optional<std::string>("hello")) {
    std::string err = errorFrame(unauthorized, nullptr);
    co_await writeText(err);
    co_await closeWith(kCloseUnauthorized);
    co_return false;
  }
  auto token = optString(*frame, "token");
  std::string tok = token && *token ? **token : std::string();
  if (tok.empty()) {
    HttpRequest r;
    r.authorization = std::string(upgrade_[http::field::authorization]);
    r.cookie = std::string(upgrade_[http::field::cookie]);
    bool from_cookie = false;
    tok = Router::tokenOf(r, from_cookie);
  }
  auto auth = co_await ctx_.accounts.authenticate(tok, remote_ip_);
  if (!auth) {
    std::string err = errorFrame(auth.error(), nullptr);
    co_await writeText(err);
    co_await closeWith(kCloseUnauthorized);
    co_return false;
  }
  auth_ = std::move(*auth);
  upgrade_ = {};  // its headers were needed only for the token; an idle socket keeps nothing
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));

  auto rooms = co_await ctx_.store.roomsOf(auth_.user.id);
  if (!rooms) {
    std::string err = errorFrame(rooms.error(), nullptr);
    co_await writeText(err);
    co_await closeWith(1011);
    co_return false;
  }
  // Attach before reading seqs: anything committed from here on is queued, and the feed
  // drops what the replay below already covered.
  std::vector<RoomId> ids;
  for (auto& s : *rooms) ids.push_back(s.room.id);
  feed_ = std::make_unique<LiveFeed>(ctx_.messages, auth_.user.id, ctx_.limits.resume_max_events);
  bool first = ctx_.hub.attach(shared_from_this(), ids);

  json::array listed;
  for (auto& s : *rooms)
    listed.push_back(json::object{{"id", s.room.id}, {"last_seq", s.room.last_seq}});
  json::object ready{{"type", "ready"},
                     {"user", codec::user(auth_.user.id, auth_.user.username)},
                     {"session_id", auth_.session.id},
                     {"rooms", std::move(listed)}};
  std::string ready_text = json::serialize(ready);
  if (!co_await writeText(ready_text)) co_return false;

  const json::object* resume = nullptr;
  if (auto it = frame->find("resume"); it != frame->end() && it->value().is_object()) {
    resume = &it->value().as_object();
  }
  for (auto& s : *rooms) {
    Seq have = s.room.last_seq;
    if (resume) {
      if (auto r = resume->find(std::to_string(s.room.id));
          r != resume->end() && r->value().is_int64()) {
        have = std::clamp<Seq>(r->value().get_int64(), 0, s.room.last_seq);
      }
    }
    auto frames = co_await feed_->start(s.room.id, have, s.room.last_seq);
    if (!frames) {
      co_await closeWith(1011);
      co_return false;
    }
    if (!co_await writeFrames(*frames)) co_return false;
  }
  co_await ctx_.presence.connected(auth_.user.id, first);
  std::vector<std::string> online = co_await ctx_.presence.snapshot(auth_.user.id);
  for (auto& p : online) {
    if (!co_await writeText(p)) co_return false;
  }
  co_return co_await writeText(R"({"type":"caught_up"})");
}

awaitable<void> WebSocketSession::reader() {
  for (;;) {
    beast::flat_buffer buf;
    // Memory per idle connection: a pending read prepares its buffer before any byte
    // arrives (about 1.4 KiB with Beast's hint), so the first read of each message asks
    // for 64 bytes at most and the rest of the message is read once it is coming.
    auto [ec, n] = co_await ws_.async_read_some(buf, 64, kTuple);
    while (!ec && !ws_.is_message_done()) {
      auto [more_ec, more] = co_await ws_.async_read_some(buf, 0, kTuple);
      ec = more_ec;
    }
    if (ec) co_return;
    if (!ws_.got_text()) {
      replyError({Code::bad_request, "frames must be text"}, nullptr);
      continue;
    }
    std::string text = beast::buffers_to_string(buf.data());  // named: g++ 12 and temporaries
    co_await handleFrame(text);
  }
}

awaitable<void> WebSocketSession::handleFrame(const std::string& text) {
  auto started = std::chrono::steady_clock::now();
  auto frame = parseObject(text, ctx_.edge.json_max_depth);
  if (!frame) co_return replyError(frame.error(), nullptr);
  const json::value* req = frame->if_contains("req");
  auto type = reqString(*frame, "type");
  if (!type) co_return replyError(type.error(), req);
  if (*type == "ping") {
    json::object pong{{"type", "pong"}};
    if (req) pong["req"] = *req;
    co_return reply(json::serialize(pong));
  }
  auto room = reqInt(*frame, "room");
  if (!room) co_return replyError(room.error(), req);
  auto ack = [&](Seq seq) {
    json::object a{{"type", "ack"}, {"room", *room}, {"seq", seq}};
    if (req) a["req"] = *req;
    return a;
  };
  const User& me = auth_.user;
  if (*type == "send") {
    auto cmid = reqString(*frame, "client_msg_id");
    auto body = optString(*frame, "text");
    auto reply_to = optInt(*frame, "reply_to");
    auto files = optStringList(*frame, "files");
    if (!cmid) co_return replyError(cmid.error(), req);
    if (!body) co_return replyError(body.error(), req);
    if (!reply_to) co_return replyError(reply_to.error(), req);
    if (!files) co_return replyError(files.error(), req);
    std::string text = body->value_or("");  // named: g++ 12 and temporaries in co_await
    auto sent = co_await ctx_.messages.send(me, *room, *cmid, std::move(text),
                                            reply_to->value_or(0), std::move(*files));
    if (!sent) co_return replyError(sent.error(), req);
    json::object a = ack(sent->event.meta.seq);
    a["client_msg_id"] = *cmid;
    a["duplicate"] = sent->duplicate;
    reply(json::serialize(a));
    metrics().send_to_ack.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return;
  }
  if (*type == "typing") {
    auto ok = co_await ctx_.messages.typing(me, *room);
    if (!ok) replyError(ok.error(), req);
    co_return;
  }
  auto seq = reqInt(*frame, "seq");
  if (!seq) co_return replyError(seq.error(), req);
  Result<Seq> result = makeError(Code::bad_request, "unknown frame type");
  if (*type == "edit") {
    auto body = reqString(*frame, "text");
    if (!body) co_return replyError(body.error(), req);
    auto e = co_await ctx_.messages.edit(me, *room, *seq, std::move(*body));
    result = e ? Result<Seq>(e->meta.seq) : Result<Seq>(e.error());
  } else if (*type == "delete") {
    auto e = co_await ctx_.messages.remove(me, *room, *seq);
    result = e ? Result<Seq>(e->meta.seq) : Result<Seq>(e.error());
  } else if (*type == "read") {
    result = co_await ctx_.messages.markRead(me.id, *room, *seq);
  }
  if (!result) co_return replyError(result.error(), req);
  reply(json::serialize(ack(*result)));
}

awaitable<void> WebSocketSession::run() {
  auto self = shared_from_this();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(ctx_.edge.max_frame);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "parley"); }));
  auto [ec] = co_await ws_.async_accept(upgrade_, kTuple);
  if (ec) co_return;
  registry_.add(self);
  metrics().connections.add(1);
  metrics().connections_total.inc();

  bool ok = co_await hello();
  if (ok) {
    started_ = true;
    pump();
    co_await reader();
  }
  reader_done_ = true;
  queue_.clear();
  queue_head_ = 0;
  queued_bytes_ = 0;
  if (feed_) {
    bool last = ctx_.hub.detach(self);
    co_await ctx_.presence.disconnected(auth_.user.id, last);
  }
  registry_.remove(this);
  metrics().connections.add(-1);
  watchdog_.cancel();
}

}  // namespace

void startWebSocketSession(beast::tcp_stream&& stream, http::request<http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard) {
  auto session = std::make_shared<WebSocketSession>(std::move(stream), std::move(upgrade), ctx,
                                                    registry, std::move(remote_ip), shard);
  auto ex = session->executor();
  asio::co_spawn(ex, session->run(), [session](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log::error("websocket_session_failed", {{"what", x.what()}});
    }
  });
}

}  // namespace parley::api
