#include "api/websocket_session.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <span>

#include "api/commands.h"
#include "api/json_input.h"
#include "api/router.h"
#include "api/ws_frame.h"
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
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr int kCloseUnauthorized = 4001;
constexpr int kCloseTooSlow = 4008;
// Frames taken into one gather write (two buffers each: header and payload).
constexpr std::size_t kBatch = 64;
// Bytes asked of the socket per read while a message is coming in.
constexpr std::size_t kReadChunk = 16 * 1024;
// Frames pulled from the Store (hello's replay, gap fills) wait while this long a time passes
// without the socket taking a byte; then the reader is too slow (4008).
constexpr int kStallSeconds = 10;

std::size_t itemBytes(const LiveItem& item) {
  return item.payload ? item.payload->size() - item.offset : 0;
}

// One device's socket after the upgrade. Beast did the handshake; from then on the frames
// are ws_frame's: while idle the session holds no read buffer and no composed operation,
// only a wait for readability; queued frames go out in one gather write, straight from the
// shared payloads (a server frame is its header, computed on the stack, then the payload).
//
// Everything runs on the session's strand (its Hub shard). The reader is a chain of
// callbacks (no coroutine frame while idle); each complete text message is handled by a
// coroutine, one at a time and in order, the first one being hello.
class WebSocketSession final : public Hub::Client,
                               public Closable,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::string authorization, std::string cookie,
                   ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                   std::size_t shard)
      : socket_(std::move(socket)),
        authorization_(std::move(authorization)),
        cookie_(std::move(cookie)),
        ctx_(ctx),
        registry_(registry),
        remote_ip_(std::move(remote_ip)),
        shard_(shard),
        reader_(ctx.edge.max_frame),
        timer_(socket_.get_executor()),
        drain_timer_(socket_.get_executor()) {}

  void start();

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
  // Reading (strand only).
  void waitReadable();
  void onReadable(const boost::system::error_code& ec);
  void processInput();
  awaitable<void> onMessage(std::string text);
  void endReading();
  awaitable<void> finish();

  awaitable<bool> hello(const std::string& text);
  awaitable<void> handleFrame(const std::string& text);

  // Writing (strand only): turns queued items into frames and writes them.
  void pump();
  // Writes out_ (and a pending pong and close) until done or the socket is full; false
  // if the socket is full (a wait for writability is armed) or failed.
  bool flush();
  awaitable<void> processSlow(LiveItem item);
  void send(std::string frame);
  awaitable<bool> sendPaced(LiveFeed::Frames frames);
  awaitable<bool> awaitDrain();
  void tooSlow();
  std::size_t toWrite() const { return held_bytes_ - std::min(queued_bytes_, held_bytes_); }
  void closeNow(int code, bool keep_output = false);
  void shut();
  // Counts `bytes` more held for the socket; past --max-outbound closes with 4008.
  bool hold(std::size_t bytes);
  void unhold(std::size_t bytes) { held_bytes_ -= std::min(bytes, held_bytes_); }
  void reply(std::string frame) { push(directItem(std::move(frame))); }
  void replyError(const Error& e, const json::value* req) {
    metrics().countError(e.code);
    reply(errorFrame(e, req));
  }

  tcp::socket socket_;
  std::string authorization_;  // of the upgrade request, for hello (then dropped)
  std::string cookie_;
  ApiContext& ctx_;
  SessionRegistry& registry_;
  std::string remote_ip_;
  const std::size_t shard_;
  AuthContext auth_;
  std::unique_ptr<LiveFeed> feed_;
  ws::FrameReader reader_;
  // hello's deadline, then the close handshake's: the socket is shut when it fires.
  asio::steady_timer timer_;

  // Everything below is used only on the strand (the session's Hub shard).
  std::string in_;               // bytes read and not yet parsed, from in_head_ on
  std::size_t in_head_ = 0;      //   (empty while idle)
  std::vector<LiveItem> queue_;  // items from the Hub and replies, from queue_head_ on
  std::size_t queue_head_ = 0;
  // Bytes held for the socket: the items in queue_ and out_, and partial_. One count over
  // all of them (live events, hello's replay, gap fills, replies) against --max-outbound.
  std::size_t held_bytes_ = 0;
  std::size_t queued_bytes_ = 0;  // the part of held_bytes_ in queue_
  // Paces frames pulled from the Store: cancelled when the socket takes bytes (pacing_).
  asio::steady_timer drain_timer_;
  bool pacing_ = false;
  LiveFeed::Frames out_;  // frames to write, from out_head_ on
  std::size_t out_head_ = 0;
  std::string partial_;  // the unwritten rest of a frame a write cut short: goes first
  std::string pong_;     // the payload of the last ping not answered yet
  bool pong_due_ = false;
  bool said_hello_ = false;
  bool started_ = false;        // hello is done: queue_ is processed
  bool waiting_write_ = false;  // the socket was full: a wait for writability is armed
  bool slow_ = false;           // processSlow is filling a gap from the Store
  bool handling_ = false;       // a message is being handled: reading waits
  int close_code_ = 0;          // a close was requested
  bool close_queued_ = false;   // our close frame is written, or its rest is in partial_
  bool close_sent_ = false;     // our close frame is written in full
  bool peer_closed_ = false;    // the client's close frame arrived
  bool failed_ = false;         // the client broke the protocol: shut once our close is out
  bool reader_done_ = false;
};

void WebSocketSession::start() {
  beast::error_code ignored;
  socket_.non_blocking(true, ignored);
  // A peer that vanished is found by TCP keepalive (~5 min), as Beast's idle pings did, but
  // without a timer per connection.
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  int fd = socket_.native_handle();
  int idle = 150, interval = 30, count = 5;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);

  registry_.add(shared_from_this());
  metrics().connections.add(1);
  metrics().connections_total.inc();
  // Ten seconds to say hello, then 4001.
  timer_.expires_after(std::chrono::seconds(ctx_.edge.hello_timeout_seconds));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->said_hello_) return;
    self->closeNow(kCloseUnauthorized);
  });
  waitReadable();
}

// ---- reading ----

void WebSocketSession::waitReadable() {
  socket_.async_wait(
      tcp::socket::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->onReadable(ec); });
}

void WebSocketSession::onReadable(const boost::system::error_code& ec) {
  if (ec || reader_done_) return endReading();
  // Read what is there, in chunks, up to one whole frame's worth beyond what is held.
  const std::size_t cap = ctx_.edge.max_frame + ws::kMaxHeader + 4 + kReadChunk;
  for (;;) {
    std::size_t have = in_.size();
    if (have - in_head_ >= cap) break;
    in_.resize(have + kReadChunk);
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(in_.data() + have, kReadChunk), rec);
    in_.resize(have + n);
    if (rec == asio::error::would_block || rec == asio::error::try_again) break;
    if (rec) return endReading();  // end of stream, reset, or shut by us
    if (n < kReadChunk) break;
  }
  processInput();
}

// Parses and acts on what was read; then waits for more, unless a message is handled.
void WebSocketSession::processInput() {
  while (!reader_done_) {
    if (failed_) {
      // Nothing more is parsed: what comes is dropped until the client's end of stream (or
      // the close timer). Closing with unread bytes would reset the connection, and the
      // reset could overtake our close frame.
      in_.clear();
      in_head_ = 0;
      return waitReadable();
    }
    auto ev = reader_.next(in_.data() + in_head_, in_.size() - in_head_);
    in_head_ += ev.consumed;
    switch (ev.kind) {
      case ws::FrameReader::Kind::need_more:
        // Keep only the unparsed rest; an idle socket holds no buffer.
        if (in_head_ == in_.size()) {
          std::string().swap(in_);
        } else {
          in_.erase(0, in_head_);
        }
        in_head_ = 0;
        return waitReadable();
      case ws::FrameReader::Kind::fragment:
      case ws::FrameReader::Kind::pong:
        continue;
      case ws::FrameReader::Kind::ping:
        if (close_code_ != 0) continue;
        pong_.assign(ev.payload);
        pong_due_ = true;
        flush();
        continue;
      case ws::FrameReader::Kind::close:
        peer_closed_ = true;
        if (close_sent_) {
          shut();  // the handshake is complete
        } else {
          // Echo the client's code (a close without a code is answered with 1000).
          closeNow(ev.code == ws::kCloseNoStatus ? 1000 : ev.code);
        }
        // Ends with the client's end of stream, or at once once the socket is shut.
        in_.clear();
        in_head_ = 0;
        return waitReadable();
      case ws::FrameReader::Kind::fail:
        failed_ = true;
        in_.clear();
        in_head_ = 0;
        closeNow(ev.code);
        return waitReadable();
      case ws::FrameReader::Kind::message:
        if (close_code_ != 0) continue;  // closing: data frames are dropped
        if (!ev.text) {
          replyError({Code::bad_request, "frames must be text"}, nullptr);
          continue;
        }
        handling_ = true;
        asio::co_spawn(socket_.get_executor(), onMessage(std::string(ev.payload)),
                       [self = shared_from_this()](std::exception_ptr e) {
                         self->handling_ = false;
                         if (e) {
                           log::error("websocket_frame_failed");
                           self->closeNow(1011);
                         }
                         self->processInput();
                       });
        return;
    }
  }
}

awaitable<void> WebSocketSession::onMessage(std::string text) {
  auto self = shared_from_this();
  if (said_hello_) {
    co_await handleFrame(text);
    co_return;
  }
  said_hello_ = true;
  timer_.cancel();
  bool ok = co_await hello(text);
  if (!ok) co_return;
  started_ = true;
  pump();
}

// The client is gone (or the socket was shut): leave the Hub, once.
void WebSocketSession::endReading() {
  if (reader_done_) return;
  reader_done_ = true;
  shut();
  drain_timer_.cancel();
  asio::co_spawn(socket_.get_executor(), finish(),
                 [self = shared_from_this()](std::exception_ptr e) {
                   if (e) log::error("websocket_finish_failed");
                 });
}

awaitable<void> WebSocketSession::finish() {
  auto self = shared_from_this();
  queue_.clear();
  queue_head_ = 0;
  out_.clear();
  out_head_ = 0;
  held_bytes_ = 0;
  queued_bytes_ = 0;
  timer_.cancel();
  drain_timer_.cancel();
  if (feed_) {
    bool last = ctx_.hub.detach(self);
    co_await ctx_.presence.disconnected(auth_.user.id, last);
  }
  registry_.remove(this);
  metrics().connections.add(-1);
}

// ---- writing ----

// On the strand: from the Hub's shard, or a reply from the reader.
void WebSocketSession::push(const LiveItem& item) {
  if (close_code_ != 0 || reader_done_) return;
  if (!hold(itemBytes(item))) return;
  queued_bytes_ += itemBytes(item);
  queue_.push_back(item);
  pump();
}

bool WebSocketSession::hold(std::size_t bytes) {
  held_bytes_ += bytes;
  if (held_bytes_ <= ctx_.edge.max_outbound) return true;
  tooSlow();
  return false;
}

// Policy: a reader this far behind is closed, not waited for; it resumes later.
void WebSocketSession::tooSlow() {
  metrics().slow_consumers.inc();
  closeNow(kCloseTooSlow);
}

// Adds frames pulled from the Store (hello's replay, gap fills), paced by the socket: while
// half of --max-outbound waits to be written, waits for the socket to take some. False if
// the connection closes on the way.
awaitable<bool> WebSocketSession::sendPaced(LiveFeed::Frames frames) {
  auto self = shared_from_this();
  const std::size_t pace = ctx_.edge.max_outbound / 2;
  for (auto& f : frames) {
    while (toWrite() > 0 && toWrite() + itemBytes(f) > pace) {
      if (flush() && toWrite() == 0) break;
      if (!co_await awaitDrain()) co_return false;
    }
    if (close_code_ != 0 || reader_done_ || !hold(itemBytes(f))) co_return false;
    out_.push_back(std::move(f));
  }
  flush();
  co_return close_code_ == 0 && !reader_done_;
}

// Waits until the socket takes bytes (flush cancels the timer), the connection closes, or
// kStallSeconds pass: then the reader is too slow. False unless the socket took bytes.
awaitable<bool> WebSocketSession::awaitDrain() {
  pacing_ = true;
  drain_timer_.expires_after(std::chrono::seconds(kStallSeconds));
  auto [ec] = co_await drain_timer_.async_wait(kTuple);
  pacing_ = false;
  if (close_code_ != 0 || reader_done_) co_return false;
  if (!ec) {
    tooSlow();
    co_return false;
  }
  co_return true;
}

void WebSocketSession::requestClose(int code) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), code] { self->closeNow(code); });
}

// On the strand: drop what is queued (a frame cut short is finished), send the close frame,
// then wait (at most 5 s) for the client's.
void WebSocketSession::closeNow(int code, bool keep_output) {
  if (close_code_ != 0) return;
  close_code_ = code;
  queue_.clear();
  queue_head_ = 0;
  queued_bytes_ = 0;
  drain_timer_.cancel();
  if (!keep_output) {
    out_.clear();
    out_head_ = 0;
  }
  held_bytes_ = partial_.size();
  for (std::size_t i = out_head_; i < out_.size(); ++i) held_bytes_ += itemBytes(out_[i]);
  pong_due_ = false;
  // A peer that never reads, or never answers, cannot hold the socket open: cap it.
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->shut();
  });
  flush();
}

void WebSocketSession::shut() {
  beast::error_code ignored;
  socket_.close(ignored);  // ends the pending wait: the reader ends the session
}

// Frames written as they are (replies, hello's replay, gap fills): counted like the queue.
void WebSocketSession::send(std::string frame) {
  LiveItem item = directItem(std::move(frame));
  if (reader_done_ || !hold(itemBytes(item))) return;
  out_.push_back(std::move(item));
  flush();
}

void WebSocketSession::pump() {
  while (!waiting_write_ && !reader_done_) {
    if (!flush()) return;
    if (!started_ || slow_ || close_code_ != 0) return;
    // out_ is written: take the next batch of items from the queue.
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
    while (queue_head_ < queue_.size() && out_.size() < kBatch) {
      LiveItem& item = queue_[queue_head_++];
      const std::size_t bytes = itemBytes(item), before = out_.size();
      queued_bytes_ -= std::min(bytes, queued_bytes_);
      if (item.payload && feed_->tryProcess(item, out_)) {
        // The item moved to out_ (still held), or was dropped (a duplicate, not mine).
        if (out_.size() == before) unhold(bytes);
        continue;
      }
      // A gap to fill, a room just added, or a backfill: the Store is needed. What is in
      // out_ goes first; the frames it yields are counted again when they are added.
      unhold(bytes);
      slow_ = true;
      if (!flush() && reader_done_) return;
      asio::co_spawn(socket_.get_executor(), processSlow(std::move(item)),
                     [self = shared_from_this()](std::exception_ptr e) {
                       if (e) log::error("websocket_writer_failed");
                     });
      return;
    }
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
  if (!frames) {
    slow_ = false;
    // The Store could not fill a gap: tell the client to come back and resume.
    closeNow(1011);
    co_return;
  }
  bool ok = close_code_ == 0;
  if (ok) ok = co_await sendPaced(std::move(*frames));
  slow_ = false;
  if (ok) pump();
}

bool WebSocketSession::flush() {
  if (waiting_write_ || !socket_.is_open()) return false;
  for (;;) {
    // One gather write: the rest of a frame cut short, a pong, up to kBatch frames, and
    // the close frame once everything before it is out. Headers live on the stack: a
    // frame cut short keeps its unwritten rest in partial_.
    std::array<asio::const_buffer, 2 * kBatch + 4> bufs;
    std::array<std::array<std::uint8_t, ws::kMaxHeader>, kBatch + 1> headers;
    std::size_t nb = 0, nh = 0;
    if (!partial_.empty()) bufs[nb++] = asio::buffer(partial_);
    const std::size_t pong_from = nb;
    if (pong_due_ && !close_queued_) {
      std::size_t h = ws::encodeHeader(ws::Opcode::pong, pong_.size(), headers[nh].data());
      bufs[nb++] = asio::buffer(headers[nh++].data(), h);
      bufs[nb++] = asio::buffer(pong_);
    }
    const std::size_t frames_from = nb;
    std::size_t nframes = 0;
    if (!close_queued_) {
      while (out_head_ + nframes < out_.size() && nframes < kBatch) {
        std::string_view text = out_[out_head_ + nframes].frame();
        std::size_t h = ws::encodeHeader(ws::Opcode::text, text.size(), headers[nh].data());
        bufs[nb++] = asio::buffer(headers[nh++].data(), h);
        bufs[nb++] = asio::buffer(text.data(), text.size());
        ++nframes;
      }
    }
    std::string close;
    const std::size_t close_at = nb;
    if (close_code_ != 0 && !close_queued_ && out_head_ + nframes == out_.size()) {
      close = ws::closeFrame(static_cast<std::uint16_t>(close_code_));
      bufs[nb++] = asio::buffer(close);
    }
    if (nb == 0) break;

    boost::system::error_code ec;
    std::size_t left = socket_.write_some(std::span<const asio::const_buffer>(bufs.data(), nb), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      shut();  // the reader sees it and ends the session
      return false;
    }
    if (left > 0 && pacing_) drain_timer_.cancel();  // a paced sender may go on
    // Walk the buffers over what was written; the first one cut short keeps its rest (and
    // that of the frame it belongs to) in partial_.
    auto keepRest = [&](std::size_t from, std::size_t to) {
      std::string rest;
      for (std::size_t i = from; i < to; ++i) {
        auto* p = static_cast<const char*>(bufs[i].data());
        std::size_t sz = bufs[i].size();
        std::size_t skip = std::min(left, sz);
        left -= skip;
        rest.append(p + skip, sz - skip);
      }
      return rest;
    };
    auto whole = [&](std::size_t from, std::size_t to) {
      std::size_t sz = 0;
      for (std::size_t i = from; i < to; ++i) sz += bufs[i].size();
      return sz;
    };
    bool cut = false;
    if (pong_from > 0) {  // partial_
      std::size_t done = std::min(left, partial_.size());
      left -= done;
      partial_.erase(0, done);
      unhold(done);
      cut = !partial_.empty();
    }
    if (!cut && frames_from > pong_from) {
      std::size_t sz = whole(pong_from, frames_from);
      if (left >= sz) {
        left -= sz;
        pong_due_ = false;
      } else if (left > 0) {
        partial_ = keepRest(pong_from, frames_from);
        pong_due_ = false;
        cut = true;
      } else {
        cut = true;
      }
    }
    for (std::size_t f = 0; !cut && f < nframes; ++f) {
      std::size_t b = frames_from + 2 * f;
      std::size_t sz = whole(b, b + 2);
      if (left == 0) {
        cut = true;
        break;
      }
      if (out_[out_head_].env.kind == FrameKind::event) metrics().events_delivered.inc();
      unhold(itemBytes(out_[out_head_]));
      ++out_head_;
      if (left >= sz) {
        left -= sz;
      } else {
        partial_ = keepRest(b, b + 2);
        held_bytes_ += partial_.size();
        cut = true;
      }
    }
    if (!cut && close_at < nb) {
      if (left == 0) {
        cut = true;
      } else {
        close_queued_ = true;
        if (left < close.size()) {
          partial_ = keepRest(close_at, nb);
          cut = true;
        }
      }
    }
    if (out_head_ == out_.size()) {
      out_.clear();
      out_head_ = 0;
    }
    if (cut) {
      // The socket is full: wait until it drains.
      waiting_write_ = true;
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->waiting_write_ = false;
                           if (!ec) self->pump();
                         });
      return false;
    }
  }
  if (close_queued_ && !close_sent_ && partial_.empty()) {
    close_sent_ = true;
    if (failed_) {
      // Our close is out; stop sending and drain what the client still sends.
      beast::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
    } else if (peer_closed_) {
      shut();  // the close handshake is complete
    }
  }
  return true;
}

// Authenticates the first frame, attaches to the Hub, replays what the client missed.
awaitable<bool> WebSocketSession::hello(const std::string& text) {
  Error unauthorized{Code::unauthorized, "the first frame must be hello with a valid token"};
  auto frame = parseObject(text, ctx_.edge.json_max_depth);
  auto type = frame ? optString(*frame, "type") : Result<std::optional<std::string>>(frame.error());
  if (!frame || !type || *type != std::optional<std::string>("hello")) {
    send(errorFrame(unauthorized, nullptr));
    closeNow(kCloseUnauthorized, true);
    co_return false;
  }
  auto token = optString(*frame, "token");
  std::string tok = token && *token ? **token : std::string();
  if (tok.empty()) {
    HttpRequest r;
    r.authorization = authorization_;
    r.cookie = cookie_;
    bool from_cookie = false;
    tok = Router::tokenOf(r, from_cookie);
  }
  auto auth = co_await ctx_.accounts.authenticate(tok, remote_ip_);
  if (!auth) {
    send(errorFrame(auth.error(), nullptr));
    closeNow(kCloseUnauthorized, true);
    co_return false;
  }
  auth_ = std::move(*auth);
  // The upgrade's headers were needed only for the token; an idle socket keeps nothing.
  std::string().swap(authorization_);
  std::string().swap(cookie_);

  auto rooms = co_await ctx_.store.roomsOf(auth_.user.id);
  if (!rooms) {
    send(errorFrame(rooms.error(), nullptr));
    closeNow(1011, true);
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
  send(json::serialize(ready));

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
      closeNow(1011, true);
      co_return false;
    }
    // Paced: a client that does not read is closed with 4008 (past --max-outbound, or
    // after kStallSeconds), and the rest of the replay is not read.
    if (!co_await sendPaced(std::move(*frames))) co_return false;
  }
  co_await ctx_.presence.connected(auth_.user.id, first);
  std::string online = co_await ctx_.presence.snapshot(auth_.user.id);
  send(std::move(online));
  send(R"({"type":"caught_up"})");
  co_return close_code_ == 0 && !reader_done_;
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
    auto cmd = parseSend(*frame);  // the same parser as POST /rooms/{id}/messages
    if (!cmd) co_return replyError(cmd.error(), req);
    std::string cmid = cmd->client_msg_id;  // for the ack
    auto sent =
        co_await ctx_.messages.send(me, *room, std::move(cmd->client_msg_id), std::move(cmd->text),
                                    cmd->reply_to, std::move(cmd->files));
    if (!sent) co_return replyError(sent.error(), req);
    json::object a = ack(sent->event.meta.seq);
    a["client_msg_id"] = cmid;
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

// Beast answers the upgrade (checks, Sec-WebSocket-Accept, 101); then the socket is the
// session's, and Beast's stream (its state and buffers) is gone.
awaitable<void> acceptUpgrade(beast::tcp_stream stream, http::request<http::string_body> upgrade,
                              ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                              std::size_t shard) {
  std::string authorization(upgrade[http::field::authorization]);
  std::string cookie(upgrade[http::field::cookie]);
  tcp::socket socket(stream.get_executor());
  {
    websocket::stream<tcp::socket> ws(stream.release_socket());
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws.set_option(t);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "parley"); }));
    auto [ec] = co_await ws.async_accept(upgrade, kTuple);
    if (ec) co_return;
    socket = std::move(ws.next_layer());
  }
  upgrade = {};
  auto session = std::make_shared<WebSocketSession>(std::move(socket), std::move(authorization),
                                                    std::move(cookie), ctx, registry,
                                                    std::move(remote_ip), shard);
  session->start();
}

}  // namespace

void startWebSocketSession(beast::tcp_stream&& stream, http::request<http::string_body>&& upgrade,
                           ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                           std::size_t shard) {
  auto ex = stream.get_executor();
  asio::co_spawn(ex,
                 acceptUpgrade(std::move(stream), std::move(upgrade), ctx, registry,
                               std::move(remote_ip), shard),
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
