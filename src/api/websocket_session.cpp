#include "api/websocket_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <span>

#include "api/ws_frame.h"
#include "api/ws_protocol.h"
#include "api/ws_writer.h"
#include "core/log.h"
#include "core/metrics.h"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr int kCloseUnauthorized = 4001;
constexpr int kCloseTooSlow = 4008;
// Bytes asked of the socket per read while a message is coming in.
constexpr std::size_t kReadChunk = 16 * 1024;
// Frames pulled from the Store (hello's replay, gap fills) wait at most this long for the
// socket to take a byte; then the reader is too slow (4008).
constexpr int kStallSeconds = 10;

// One device's socket after the upgrade: the glue between the socket, the protocol
// (ws_protocol: hello, resume, commands) and the writer (ws_writer: what is held for the
// socket, and its byte cap). Beast did the handshake; from then on the frames are
// ws_frame's: while idle the session holds no read buffer and no composed operation, only a
// wait for readability.
//
// Everything runs on the session's strand (its Hub shard). The reader is a chain of
// callbacks (no coroutine frame while idle); each complete text message is handled by a
// coroutine, one at a time and in order, the first one being hello.
class WebSocketSession final : public Hub::Client,
                               public Closable,
                               public WsConnection,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(WsSocket&& socket, std::string authorization, std::string cookie,
                   ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                   std::size_t shard, bool echo)
      : socket_(std::move(socket)),
        ctx_(ctx),
        registry_(registry),
        shard_(shard),
        protocol_(ctx, *this, std::move(remote_ip), std::move(authorization), std::move(cookie)),
        writer_(ctx.edge.max_outbound),
        reader_(ctx.edge.max_frame),
        timer_(socket_.get_executor()),
        echo_(echo) {}

  void start();

  // Hub::Client
  UserId userId() const override { return protocol_.auth().user.id; }
  SessionId sessionId() const override { return protocol_.auth().session.id; }
  std::size_t shard() const override { return shard_; }
  void push(const LiveItem& item) override;
  void revoke() override { closeNow(kCloseUnauthorized); }
  // An item without a payload: catch every room up from the Store (WsProtocol::deliver).
  void backfillAll() override { push(LiveItem{}); }

  // Closable
  void requestClose(int code) override;

  // WsConnection
  awaitable<bool> send(LiveFeed::Frames frames) override;
  void reply(std::string frame) override { push(directItem(std::move(frame))); }
  void close(int code, bool keep_output) override { closeNow(code, keep_output); }
  bool attach(const std::vector<RoomId>& rooms) override {
    return ctx_.hub.attach(shared_from_this(), rooms);
  }
  bool detach() override { return ctx_.hub.detach(shared_from_this()); }

 private:
  // Reading (strand only).
  void waitReadable();
  void onReadable(const boost::system::error_code& ec);
  bool readAvailable();
  void processInput();
  bool onFrame(const ws::FrameReader::Event& ev);
  void onClose(std::uint16_t code);
  bool echoMessage(const ws::FrameReader::Event& ev);
  void dropInput();
  awaitable<void> onMessage(std::string text);
  void endReading();
  awaitable<void> finish();

  // Writing (strand only): turns queued items into frames and writes them.
  void pump();
  bool feedBatch();
  // Writes what the writer holds until done or the socket is full; false if the socket is
  // full (a wait for writability is armed) or failed.
  bool flush();
  void waitWritable();
  awaitable<void> processSlow(LiveItem item);
  awaitable<bool> awaitDrain();
  void tooSlow();
  void closeNow(int code, bool keep_output = false);
  void shut();
  bool ended() const { return protocol_.phase() == Phase::closed; }

  WsSocket socket_;
  ApiContext& ctx_;
  SessionRegistry& registry_;
  const std::size_t shard_;
  WsProtocol protocol_;
  WsWriter writer_;
  ws::FrameReader reader_;
  // hello's deadline, then the close handshake's: the socket is shut when it fires.
  asio::steady_timer timer_;
  // Paces frames pulled from the Store: cancelled when the socket takes bytes (pacing_).
  // Made on the first stall only: most sockets never stall, and a timer is 120 bytes that
  // every idle connection would hold (S1).
  std::unique_ptr<asio::steady_timer> drain_timer_;
  void cancelDrain() {
    if (drain_timer_) drain_timer_->cancel();
  }

  // Reader and writer state beside the phase (strand only).
  std::string in_;            // bytes read and not yet parsed, from in_head_ on
  std::size_t in_head_ = 0;   //   (empty while idle)
  LiveFeed::Frames scratch_;  // what the feed makes of one queued item
  // The small members last, together, so that they share one word (S1: bytes per socket).
  enum class Input : std::uint8_t { open, peer_closed, failed };
  Input input_ = Input::open;   // failed: the client broke the protocol; drained until EOF
  bool waiting_write_ = false;  // the socket was full: a wait for writability is armed
  bool filling_ = false;        // processSlow is filling a gap from the Store
  bool pacing_ = false;         // send() waits on drain_timer_
  // The test echo endpoint (--test-echo-endpoint): every message is sent back as it came,
  // with no hello and no protocol; framing, limits and closing are the same code.
  const bool echo_;
};

void WebSocketSession::start() {
  socket_.start();

  registry_.add(shared_from_this());
  metrics().connections.add(1);
  metrics().connections_total.inc();
  if (echo_) return waitReadable();
  // Ten seconds to say hello, then 4001.
  timer_.expires_after(std::chrono::seconds(ctx_.edge.hello_timeout_seconds));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->protocol_.phase() != Phase::awaiting_hello) return;
    self->closeNow(kCloseUnauthorized);
  });
  waitReadable();
}

// ---- reading ----

void WebSocketSession::waitReadable() {
  socket_.waitReadable(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->onReadable(ec); });
}

void WebSocketSession::onReadable(const boost::system::error_code& ec) {
  if (ec || ended() || !readAvailable()) return endReading();
  processInput();
}

// Reads what is there, in chunks, up to one whole frame's worth beyond what is held. False
// at the end of the stream, a reset, or once the socket is shut by us.
bool WebSocketSession::readAvailable() {
  const std::size_t cap = ctx_.edge.max_frame + ws::kMaxHeader + 4 + kReadChunk;
  for (;;) {
    std::size_t have = in_.size();
    if (have - in_head_ >= cap) return true;
    in_.resize(have + kReadChunk);
    boost::system::error_code rec;
    std::size_t n = socket_.readSome(asio::buffer(in_.data() + have, kReadChunk), rec);
    in_.resize(have + n);
    if (rec == asio::error::would_block || rec == asio::error::try_again) return true;
    if (rec) return false;
    if (n < kReadChunk) return true;
  }
}

// Parses and acts on what was read; then waits for more, unless a message is handled.
void WebSocketSession::processInput() {
  while (!ended()) {
    if (input_ == Input::failed) {
      // Nothing more is parsed: what comes is dropped until the client's end of stream (or
      // the close timer). Closing with unread bytes would reset the connection, and the
      // reset could overtake our close frame.
      dropInput();
      return waitReadable();
    }
    auto ev = reader_.next(in_.data() + in_head_, in_.size() - in_head_);
    in_head_ += ev.consumed;
    if (!onFrame(ev)) return;
  }
}

// Acts on one event of the reader; false when reading stops here (for more bytes, or
// until a message is handled).
bool WebSocketSession::onFrame(const ws::FrameReader::Event& ev) {
  using Kind = ws::FrameReader::Kind;
  const bool closing = writer_.closing();
  switch (ev.kind) {
    case Kind::need_more:
      // Keep only the unparsed rest; an idle socket holds no buffer.
      if (in_head_ == in_.size()) {
        std::string().swap(in_);
      } else {
        in_.erase(0, in_head_);
      }
      in_head_ = 0;
      waitReadable();
      return false;
    case Kind::fragment:
    case Kind::pong:
      return true;
    case Kind::ping:
      if (!closing) {
        writer_.pong(ev.payload);
        flush();
      }
      return true;
    case Kind::close:
      onClose(ev.code);
      return false;
    case Kind::fail:
      input_ = Input::failed;
      dropInput();
      closeNow(ev.code);
      waitReadable();
      return false;
    case Kind::message:
      if (closing) return true;  // closing: data frames are dropped
      if (echo_) return echoMessage(ev);
      if (!ev.text) {
        protocol_.onBinary();
        return true;
      }
      asio::co_spawn(socket_.get_executor(), onMessage(std::string(ev.payload)),
                     [self = shared_from_this()](std::exception_ptr e) {
                       if (e) {
                         log::error("websocket_frame_failed");
                         self->closeNow(1011);
                       }
                       self->processInput();
                     });
      return false;
  }
  return false;
}

// The client's close frame: the handshake completes, or we answer it.
void WebSocketSession::onClose(std::uint16_t code) {
  input_ = Input::peer_closed;
  if (writer_.closeWritten()) {
    shut();  // the handshake is complete
  } else {
    // Echo the client's code (a close without a code is answered with 1000).
    closeNow(code == ws::kCloseNoStatus ? 1000 : code);
  }
  // Ends with the client's end of stream, or at once once the socket is shut.
  dropInput();
  waitReadable();
}

// The test echo endpoint: the message goes back whole, as text or binary; a client that does
// not read its echoes is closed as too slow, as any other.
bool WebSocketSession::echoMessage(const ws::FrameReader::Event& ev) {
  auto op = ev.text ? ws::Opcode::text : ws::Opcode::binary;
  if (!writer_.add(directItem(std::string(ev.payload)), op)) {
    tooSlow();
    return false;
  }
  flush();
  return true;
}

void WebSocketSession::dropInput() {
  in_.clear();
  in_head_ = 0;
}

awaitable<void> WebSocketSession::onMessage(std::string text) {
  auto self = shared_from_this();
  const bool hello = protocol_.phase() == Phase::awaiting_hello;
  if (hello) timer_.cancel();
  co_await protocol_.onText(std::move(text));
  if (hello && protocol_.phase() == Phase::live) pump();
}

// The client is gone (or the socket was shut): leave the Hub, once.
void WebSocketSession::endReading() {
  if (ended()) return;
  protocol_.closed();
  shut();
  writer_.clear();
  timer_.cancel();
  cancelDrain();
  asio::co_spawn(socket_.get_executor(), finish(),
                 [self = shared_from_this()](std::exception_ptr e) {
                   if (e) log::error("websocket_finish_failed");
                 });
}

awaitable<void> WebSocketSession::finish() {
  auto self = shared_from_this();
  co_await protocol_.leave();
  registry_.remove(this);
  metrics().connections.add(-1);
}

// ---- writing ----

// On the strand: from the Hub's shard, or a reply from the reader.
void WebSocketSession::push(const LiveItem& item) {
  if (writer_.closing() || ended()) return;
  if (!writer_.queue(item)) return tooSlow();
  pump();
}

// Frames pulled from the Store (hello's replay, gap fills), paced by the socket: while half
// of --max-outbound waits to be written, waits for the socket to take some. They count
// against the cap like everything else.
awaitable<bool> WebSocketSession::send(LiveFeed::Frames frames) {
  auto self = shared_from_this();
  const std::size_t pace = writer_.maxBytes() / 2;
  for (auto& f : frames) {
    const std::size_t size = WsWriter::wireSize(f);
    while (writer_.bytesToWrite() > 0 && writer_.bytesToWrite() + size > pace) {
      if (flush() && writer_.bytesToWrite() == 0) break;
      if (!co_await awaitDrain()) co_return false;
    }
    if (ended() || writer_.closing()) co_return false;
    if (!writer_.add(std::move(f))) {
      tooSlow();
      co_return false;
    }
  }
  flush();
  co_return !writer_.closing() && !ended();
}

// Waits until the socket takes bytes (flush cancels the timer), the connection closes, or
// kStallSeconds pass: then the reader is too slow. False unless the socket took bytes.
awaitable<bool> WebSocketSession::awaitDrain() {
  if (!drain_timer_) drain_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  pacing_ = true;
  drain_timer_->expires_after(std::chrono::seconds(kStallSeconds));
  auto [ec] = co_await drain_timer_->async_wait(kTuple);
  pacing_ = false;
  if (ended() || writer_.closing()) co_return false;
  if (!ec) {
    tooSlow();
    co_return false;
  }
  co_return true;
}

// Policy: a reader this far behind is closed, not waited for; it resumes later.
void WebSocketSession::tooSlow() {
  metrics().slow_consumers.inc();
  closeNow(kCloseTooSlow);
}

void WebSocketSession::requestClose(int code) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), code] { self->closeNow(code); });
}

// On the strand: drop what is queued (a frame cut short is finished), send the close frame,
// then wait (at most 5 s) for the client's.
void WebSocketSession::closeNow(int code, bool keep_output) {
  if (ended() || !writer_.close(static_cast<std::uint16_t>(code), keep_output)) return;
  protocol_.closing();
  cancelDrain();
  // A peer that never reads, or never answers, cannot hold the socket open: cap it.
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->shut();
  });
  flush();
}

void WebSocketSession::shut() {
  socket_.close();  // ends the pending wait: the reader ends the session
}

void WebSocketSession::pump() {
  while (!waiting_write_ && !ended()) {
    if (!flush()) return;
    if (protocol_.phase() != Phase::live || filling_ || writer_.closing()) return;
    if (!writer_.hasQueued()) {
      writer_.shrinkIfIdle();
      return;
    }
    if (!feedBatch()) return;
  }
}

// Turns up to a batch of queued items into frames; false if one needs the Store (then
// processSlow goes on with it).
bool WebSocketSession::feedBatch() {
  while (writer_.hasQueued() && writer_.framesWaiting() < WsWriter::kBatch) {
    LiveItem item = writer_.takeQueued();
    if (item.payload && protocol_.tryDeliver(item, scratch_)) {
      // The same bytes as the item just taken (or none): it fits under the cap.
      writer_.add(std::move(scratch_));
      scratch_.clear();
      continue;
    }
    // A gap to fill, a room just added, or a backfill: the Store is needed. What is held
    // goes first.
    filling_ = true;
    if (!flush() && ended()) return false;
    asio::co_spawn(socket_.get_executor(), processSlow(std::move(item)),
                   [self = shared_from_this()](std::exception_ptr e) {
                     if (e) log::error("websocket_writer_failed");
                   });
    return false;
  }
  return true;
}

awaitable<void> WebSocketSession::processSlow(LiveItem item) {
  auto self = shared_from_this();
  auto frames = co_await protocol_.deliver(std::move(item));
  if (!frames) {
    filling_ = false;
    // The Store could not fill a gap: tell the client to come back and resume.
    closeNow(1011);
    co_return;
  }
  bool ok = !writer_.closing() && !ended();
  if (ok) ok = co_await send(std::move(*frames));  // paced, and counted like the rest
  filling_ = false;
  if (ok) pump();
}

bool WebSocketSession::flush() {
  if (waiting_write_ || !socket_.isOpen()) return false;
  WsWriter::Batch batch;
  while (writer_.prepare(batch)) {
    boost::system::error_code ec;
    std::size_t n =
        socket_.writeSome(std::span<const asio::const_buffer>(batch.bufs.data(), batch.count), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      shut();  // the reader sees it and ends the session
      return false;
    }
    if (!ec && n > 0 && pacing_) cancelDrain();  // a paced send() may go on
    if (!writer_.commit(batch, ec ? 0 : n)) {
      waitWritable();  // the socket is full: wait until it drains
      return false;
    }
  }
  if (writer_.closeWritten()) {
    if (input_ == Input::failed) {
      // Our close is out; stop sending and drain what the client still sends.
      socket_.shutdownSend();
    } else if (input_ == Input::peer_closed) {
      shut();  // the close handshake is complete
    }
  }
  return true;
}

void WebSocketSession::waitWritable() {
  waiting_write_ = true;
  socket_.waitWritable([self = shared_from_this()](const boost::system::error_code& ec) {
    self->waiting_write_ = false;
    if (!ec) self->pump();
  });
}

}  // namespace

void runWebSocketSession(WsSocket&& socket, std::string authorization, std::string cookie,
                         ApiContext& ctx, SessionRegistry& registry, std::string remote_ip,
                         std::size_t shard, bool echo) {
  auto session = std::make_shared<WebSocketSession>(std::move(socket), std::move(authorization),
                                                    std::move(cookie), ctx, registry,
                                                    std::move(remote_ip), shard, echo);
  session->start();
}

}  // namespace parley::api
