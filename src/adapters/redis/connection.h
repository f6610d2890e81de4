// One connection to Redis on Asio, with hiredis used only as the RESP codec
// (redisFormatCommandArgv to encode, redisReader to parse; hiredis 0.14's own async API does
// not understand sharded pub/sub replies).
//
// Requests are pipelined: written back to back, replies matched in order. The connection
// reconnects by itself with capped exponential backoff. A connection is up once its
// handshake (AUTH, SELECT, CLIENT SETNAME, PING) is answered within `connect_timeout_ms`.
// While it is not up every request fails at once (Code::unavailable); only during the very
// first connection attempt are requests queued, so a freshly started node does not fail its
// first calls.
//
// Thread-safety: `request`/`requestAll` may be awaited from any executor; `start`/`stop`
// may be called from any thread; everything else runs on `strand()` only. Owned through
// shared_ptr: its coroutines keep it alive until `stop` has taken effect.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/redis_options.h"
#include "core/error.h"

namespace parley::redis {

// A RESP2 reply, copied out of hiredis's tree.
struct Reply {
  enum class Type { string, array, integer, nil, status, error };
  Type type = Type::nil;
  std::string str;  // string, status and error
  long long integer = 0;
  std::vector<Reply> elements;

  bool isError() const { return type == Type::error; }
  bool isNil() const { return type == Type::nil; }
};

// The parts of redis://[[user]:password@]host[:port][/db].
struct Endpoint {
  std::string host;
  std::string port = "6379";
  int db = 0;
  std::string user;
  std::string password;
};
Result<Endpoint> parseRedisUrl(std::string_view url);

using Args = std::vector<std::string>;

// The RESP encoding of one command (binary-safe).
std::string formatCommand(const Args& args);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;
  // Called with the reply, or with an error when the connection was lost or stopped first.
  using Done = std::function<void(Result<Reply>)>;
  // All run on the strand. The callbacks must not own the connection (no cycles).
  struct Callbacks {
    // The connection is usable; `after_outage` is false only when the first attempt
    // succeeded. May call `send`.
    std::function<void(Connection&, bool after_outage)> on_up;
    std::function<void()> on_down;
    // Pub/sub messages ("smessage", "message") and replies no request waits for.
    std::function<void(Reply)> on_push;
    // Optional: true for a reply that is a push although requests are waiting (a Cluster
    // node's unsolicited "sunsubscribe" on a slot migration looks like a SUNSUBSCRIBE reply;
    // only the subscriber knows which channels it asked to leave).
    std::function<bool(const Reply&)> is_push;
  };

  Connection(boost::asio::any_io_executor ex, Endpoint endpoint, const RedisOptions& opts,
             std::string name, Callbacks callbacks);
  ~Connection();

  void start();
  // Idempotent. Closes the socket, fails every queued request, stops reconnecting and drops
  // the callbacks.
  void stop();

  // One command, one round trip.
  boost::asio::awaitable<Result<Reply>> request(Args args);
  // Pipelined: every reply (Redis error replies included) in order, or an error if any
  // could not be obtained.
  boost::asio::awaitable<Result<std::vector<Reply>>> requestAll(std::vector<Args> batch);

  // Strand only.
  Strand& strand() { return strand_; }
  bool up() const { return state_ == State::up; }
  // Queues a command; `done` may be empty. False (and `done` not called) when the
  // connection is down or the queue is over its byte cap.
  bool send(const Args& args, Done done);

 private:
  enum class State { first_attempt, up, down, stopped };
  struct Waiter;

  bool accepting() const { return state_ == State::first_attempt || state_ == State::up; }
  bool enqueue(std::string command, Done done);
  boost::asio::awaitable<Result<std::vector<Reply>>> exchange(std::vector<Args> batch);
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> connectOnce();
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> writeLoop(std::uint64_t generation);
  boost::asio::awaitable<bool> handshake();
  void dispatch(Reply reply);
  void failAll(std::string_view why);
  void closeSocket();

  Strand strand_;
  const Endpoint endpoint_;
  const RedisOptions opts_;
  const std::string name_;  // for logs
  std::shared_ptr<RedisStats> stats_;
  Callbacks callbacks_;

  // Strand only, from here on.
  State state_ = State::first_attempt;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_writer_;  // cancelled when there is something to write
  boost::asio::steady_timer retry_;        // backoff between attempts
  boost::asio::steady_timer connect_deadline_;
  std::uint64_t generation_ = 0;  // bumped per established connection
  std::string out_;               // encoded commands not yet handed to the socket
  std::deque<Done> pending_;      // one per command queued or in flight, in order
  std::vector<char> read_buf_;
};

}  // namespace parley::redis
