#include "adapters/redis/connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <utility>

#include "core/log.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

Error unavailable(std::string why) { return makeError(Code::unavailable, "redis: " + why); }

Reply copyReply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(copyReply(*r.element[i]));
      break;
    default:
      out.type = Reply::Type::nil;
  }
  return out;
}

bool isPubSubMessage(const Reply& r) {
  if (r.type != Reply::Type::array || r.elements.empty()) return false;
  const std::string& kind = r.elements[0].str;
  return kind == "smessage" || kind == "message" || kind == "pmessage";
}

struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};

void logException(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error("redis_coroutine_failed", {{"what", what}, {"error", ex.what()}});
  }
}

}  // namespace

Result<Endpoint> parseRedisUrl(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis" || parsed->host().empty()) {
    return makeError(Code::bad_request, "expected redis://[[user]:password@]host[:port][/db]");
  }
  Endpoint ep;
  ep.host = parsed->host();
  if (parsed->has_port()) {
    std::string_view port = parsed->port();
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535) {
      return makeError(Code::bad_request, "redis url: the port must be 1 to 65535");
    }
    ep.port = parsed->port();
  }
  if (parsed->has_userinfo()) {
    ep.user = parsed->user();
    ep.password = parsed->password();
  }
  std::string_view path = parsed->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), ep.db);
    if (ec != std::errc() || end != path.data() + path.size() || ep.db < 0) {
      return makeError(Code::bad_request, "redis url: the path must be a database number");
    }
  }
  return ep;
}

std::string formatCommand(const Args& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* raw = nullptr;
  const int n =
      redisFormatCommandArgv(&raw, static_cast<int>(args.size()), argv.data(), lens.data());
  if (n < 0 || raw == nullptr) throw std::bad_alloc();  // its only failure is allocation
  std::string out(raw, static_cast<std::size_t>(n));
  redisFreeCommand(raw);
  return out;
}

// What a request coroutine waits on: the timer is cancelled when the last reply arrives.
struct Connection::Waiter {
  explicit Waiter(Strand& s) : timer(s) {}
  asio::steady_timer timer;
  std::vector<Reply> replies;
  std::optional<Error> error;
  std::size_t remaining = 0;
};

Connection::Connection(asio::any_io_executor ex, Endpoint endpoint, const RedisOptions& opts,
                       std::string name, Callbacks callbacks)
    : strand_(asio::make_strand(ex)),
      endpoint_(std::move(endpoint)),
      opts_(opts),
      name_(std::move(name)),
      stats_(opts.stats ? opts.stats : std::make_shared<RedisStats>()),
      callbacks_(std::move(callbacks)),
      resolver_(strand_),
      socket_(strand_),
      wake_writer_(strand_),
      retry_(strand_),
      connect_deadline_(strand_),
      read_buf_(16 * 1024) {}

Connection::~Connection() = default;

void Connection::start() {
  asio::co_spawn(strand_, run(), [name = name_](std::exception_ptr e) { logException(name, e); });
}

void Connection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::stopped) return;
    self->state_ = State::stopped;
    self->callbacks_ = {};
    self->resolver_.cancel();
    self->retry_.cancel();
    self->connect_deadline_.cancel();
    self->closeSocket();
    self->failAll("stopped");
  });
}

asio::awaitable<Result<Reply>> Connection::request(Args args) {
  std::vector<Args> batch;
  batch.push_back(std::move(args));
  auto got = co_await requestAll(std::move(batch));
  if (!got) co_return got.error();
  co_return std::move(got->front());
}

asio::awaitable<Result<std::vector<Reply>>> Connection::requestAll(std::vector<Args> batch) {
  auto op = exchange(std::move(batch));  // bound first (g++ 12: src/README.md)
  auto result = co_await asio::co_spawn(strand_, std::move(op), asio::use_awaitable);
  co_return result;
}

// On the strand (the self reference keeps the connection alive while the request waits).
asio::awaitable<Result<std::vector<Reply>>> Connection::exchange(std::vector<Args> batch) {
  auto self = shared_from_this();
  if (batch.empty()) co_return std::vector<Reply>{};
  std::vector<std::string> encoded;
  std::size_t bytes = 0;
  for (const auto& args : batch) {
    encoded.push_back(formatCommand(args));
    bytes += encoded.back().size();
  }
  if (!accepting() || out_.size() + bytes > opts_.max_queued_bytes) {
    stats_->request_failures.fetch_add(1, std::memory_order_relaxed);
    co_return unavailable(accepting() ? "request queue full" : "not connected");
  }
  auto w = std::make_shared<Waiter>(strand_);
  w->replies.resize(batch.size());
  w->remaining = batch.size();
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    enqueue(std::move(encoded[i]), [w, i](Result<Reply> r) {
      if (r) {
        w->replies[i] = std::move(*r);
      } else if (!w->error) {
        w->error = std::move(r.error());
      }
      if (--w->remaining == 0) w->timer.cancel();
    });
  }
  // A first attempt may still be connecting: allow it its own deadline too.
  const Millis wait_ms =
      opts_.request_timeout_ms + (state_ == State::first_attempt ? opts_.connect_timeout_ms : 0);
  const std::uint64_t generation = generation_;
  w->timer.expires_after(std::chrono::milliseconds(wait_ms));
  co_await w->timer.async_wait(kAwait);
  if (w->remaining > 0) {
    // Replies can no longer be matched to requests: start over on a new connection.
    stats_->request_failures.fetch_add(1, std::memory_order_relaxed);
    if (state_ == State::up && generation == generation_) {
      log::warn("redis_request_timeout", {{"connection", name_}});
      closeSocket();
    }
    co_return unavailable("request timed out");
  }
  if (w->error) {
    stats_->request_failures.fetch_add(1, std::memory_order_relaxed);
    co_return *w->error;
  }
  co_return std::move(w->replies);
}

bool Connection::send(const Args& args, Done done) {
  if (!accepting()) return false;
  std::string command = formatCommand(args);
  if (out_.size() + command.size() > opts_.max_queued_bytes) return false;
  return enqueue(std::move(command), std::move(done));
}

bool Connection::enqueue(std::string command, Done done) {
  out_ += command;
  pending_.push_back(std::move(done));
  wake_writer_.cancel();
  return true;
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  Millis backoff = opts_.reconnect_min_ms;
  bool ever_up = false;
  bool after_outage = false;
  while (state_ != State::stopped) {
    if (co_await connectOnce()) {
      if (ever_up) stats_->reconnects.fetch_add(1, std::memory_order_relaxed);
      ever_up = true;
      backoff = opts_.reconnect_min_ms;
      ++generation_;
      state_ = State::up;
      stats_->connections_up.fetch_add(1, std::memory_order_relaxed);
      if (callbacks_.on_up) callbacks_.on_up(*this, after_outage);
      co_await serve();
      stats_->connections_up.fetch_sub(1, std::memory_order_relaxed);
      if (state_ == State::stopped) break;
      log::warn("redis_connection_lost", {{"connection", name_}});
    }
    after_outage = true;
    if (state_ == State::stopped) break;
    state_ = State::down;
    failAll("not connected");
    if (callbacks_.on_down) callbacks_.on_down();
    retry_.expires_after(std::chrono::milliseconds(backoff));
    co_await retry_.async_wait(kAwait);
    backoff = std::min(backoff * 2, opts_.reconnect_max_ms);
  }
  failAll("stopped");
}

asio::awaitable<bool> Connection::connectOnce() {
  auto [rec, endpoints] = co_await resolver_.async_resolve(endpoint_.host, endpoint_.port, kAwait);
  if (rec || state_ == State::stopped) {
    if (rec) log::warn("redis_resolve_failed", {{"connection", name_}, {"error", rec.message()}});
    co_return false;
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  connect_deadline_.expires_after(std::chrono::milliseconds(opts_.connect_timeout_ms));
  connect_deadline_.async_wait(
      [self = shared_from_this(), generation = generation_](boost::system::error_code ec) {
        // Once connected (generation bumped), a late expiry must not close the new socket.
        if (!ec && self->generation_ == generation) self->closeSocket();
      });
  auto [cec, ep] = co_await asio::async_connect(socket_, endpoints, kAwait);
  if (cec || state_ == State::stopped || !socket_.is_open()) {
    connect_deadline_.cancel();
    if (cec) log::warn("redis_connect_failed", {{"connection", name_}, {"error", cec.message()}});
    closeSocket();
    co_return false;
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // The deadline covers the handshake too: a Redis that accepts connections but never
  // answers (hung, or stopped with its listen backlog still open) is not up.
  const bool answered = co_await handshake();
  connect_deadline_.cancel();
  if (!answered || state_ == State::stopped || !socket_.is_open()) {
    closeSocket();
    co_return false;
  }
  co_return true;
}

// AUTH, SELECT and CLIENT SETNAME, then PING, each answered before the connection counts as
// up. Until then requests fail at once (after an outage) or stay queued (first attempt),
// instead of each waiting out `request_timeout_ms` on a socket nobody answers. A refusal
// fails the attempt: nothing sent on the connection would reach the intended database.
asio::awaitable<bool> Connection::handshake() {
  std::string out;
  std::size_t expected = 0;
  auto add = [&](const Args& args) {
    out += formatCommand(args);
    ++expected;
  };
  if (!endpoint_.password.empty()) {
    Args auth = {"AUTH"};
    if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
    auth.push_back(endpoint_.password);
    add(auth);
  }
  if (endpoint_.db != 0) add({"SELECT", std::to_string(endpoint_.db)});
  if (!opts_.client_name.empty()) add({"CLIENT", "SETNAME", opts_.client_name + ":" + name_});
  add({"PING"});
  auto [wec, written] = co_await asio::async_write(socket_, asio::buffer(out), kAwait);
  if (wec) co_return false;
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  if (!reader) throw std::bad_alloc();
  std::size_t answered = 0;
  while (answered < expected) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(read_buf_), kAwait);
    if (ec) {
      log::warn("redis_handshake_unanswered", {{"connection", name_}, {"error", ec.message()}});
      co_return false;
    }
    if (redisReaderFeed(reader.get(), read_buf_.data(), n) != REDIS_OK) co_return false;
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) co_return false;
      if (raw == nullptr) break;
      Reply reply = copyReply(*static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      if (reply.isError()) {
        log::error("redis_handshake_refused", {{"connection", name_}, {"error", reply.str}});
        co_return false;
      }
      ++answered;
    }
  }
  co_return true;
}

asio::awaitable<void> Connection::serve() {
  asio::co_spawn(strand_, writeLoop(generation_),
                 [name = name_](std::exception_ptr e) { logException(name, e); });
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  if (!reader) throw std::bad_alloc();
  for (;;) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(read_buf_), kAwait);
    if (ec) break;
    if (redisReaderFeed(reader.get(), read_buf_.data(), n) != REDIS_OK) break;
    bool broken = false;
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        log::error("redis_protocol_error", {{"connection", name_}, {"error", reader->errstr}});
        broken = true;
        break;
      }
      if (raw == nullptr) break;
      Reply reply = copyReply(*static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      dispatch(std::move(reply));
    }
    if (broken || state_ != State::up) break;
  }
  closeSocket();
  wake_writer_.cancel();
}

asio::awaitable<void> Connection::writeLoop(std::uint64_t generation) {
  auto self = shared_from_this();
  std::string writing;
  while (state_ == State::up && generation == generation_) {
    if (out_.empty()) {
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(kAwait);
      continue;
    }
    writing.clear();
    writing.swap(out_);  // everything queued so far goes out in one write
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(writing), kAwait);
    if (ec) {
      if (generation == generation_) closeSocket();  // the reader notices and fails the rest
      break;
    }
  }
}

void Connection::dispatch(Reply reply) {
  if (isPubSubMessage(reply) || pending_.empty() ||
      (callbacks_.is_push && callbacks_.is_push(reply))) {
    if (callbacks_.on_push) callbacks_.on_push(std::move(reply));
    return;
  }
  Done done = std::move(pending_.front());
  pending_.pop_front();
  if (done) done(std::move(reply));
}

void Connection::failAll(std::string_view why) {
  out_.clear();
  std::deque<Done> failed;
  failed.swap(pending_);
  for (auto& done : failed) {
    if (done) done(unavailable(std::string(why)));
  }
}

void Connection::closeSocket() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace parley::redis
