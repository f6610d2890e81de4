// One non-blocking libpq connection driven by Asio, private to this adapter.
//
// libpq does the protocol; Asio only waits: the connection's socket is dup()ed into a
// `stream_descriptor` (so libpq and Asio each close their own descriptor) and every wait
// is an `async_wait` for readability or writability with a deadline. A `PgConn` is used by
// one coroutine at a time, on the adapter's own io_context.
//
// Any failure of the connection itself (send, receive, deadline) marks it broken: its
// protocol state is unknown, so the pool closes it instead of reusing it.
#pragma once

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/postgres/pg_values.h"
#include "ports/store.h"

namespace parley::postgres {

struct Statement {
  const char* sql;
  Params params;
};

class PgConn {
 public:
  using Ptr = std::unique_ptr<PgConn>;

  struct Options {
    std::string url;  // a libpq URI or key=value string
    std::chrono::milliseconds connect_timeout;
    std::chrono::milliseconds io_timeout;  // for each wait on the socket
  };

  // Connects without blocking the thread (PQconnectStartParams + PQconnectPoll), giving
  // up after `opts.connect_timeout`. The connection's waits run on `ex`.
  static Task<Result<Ptr>> connect(boost::asio::any_io_executor ex, const Options& opts);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one statement and returns its rows (or command result).
  Task<Result<PgResult>> query(const char* sql, const Params& params);

  // Runs the statements in pipeline mode, in one round trip and as ONE transaction: the
  // server's implicit transaction spans every statement up to the pipeline's Sync, so
  // either all of them commit (before this returns) or, at the first failing statement,
  // none does. Returns one result per statement, or the first statement's error.
  //
  // Each distinct SQL text is prepared once per connection (a named statement, parsed and
  // planned once), in the same round trip as its first use but before that pipeline's
  // transaction, so a failing transaction never leaves the bookkeeping wrong.
  Task<Result<std::vector<PgResult>>> pipeline(const std::vector<Statement>& statements);

  // Cheap check, without a round trip, that an idle connection is still usable: the server
  // closes connections when it shuts down, and that shows up as EOF on the socket.
  bool looksAlive();
  // True when the connection may go back to the pool.
  bool reusable() const;

 private:
  PgConn(PGconn* conn, boost::asio::posix::stream_descriptor sock, std::chrono::milliseconds io);

  // Waits until the socket is ready; false (and broken) on error or deadline.
  Task<bool> wait(boost::asio::posix::descriptor_base::wait_type w);
  // Sends whatever libpq has buffered.
  Task<bool> flush();
  // The next result of the current query; nullptr between statements' results, or when
  // the connection broke (then broken_ is set).
  Task<PGresult*> nextResult();
  struct Ref {
    const char* sql;
    const Params* params;
  };
  // pipeline() over borrowed statements (query() runs a pipeline of one).
  Task<Result<std::vector<PgResult>>> run(const std::vector<Ref>& statements);
  // Enters pipeline mode and sends the Parses (recorded in `prepares`), the statements and
  // the Sync. False on a send failure.
  Task<bool> sendPipeline(const std::vector<Ref>& statements, std::vector<std::string>& prepares);
  // Reads the statements' results up to the Sync: the successful ones into `results`, the
  // first failure into `error` (if none is there yet). Returns early if the connection broke.
  Task<void> readResults(std::vector<PgResult>& results, std::optional<Error>& error);
  bool send(const char* sql, const Params& params);
  // Queues a Parse for each statement not yet prepared here and records the SQL texts
  // queued in `queued`. False on a send failure.
  bool sendPrepares(const std::vector<Ref>& statements, std::vector<std::string>& queued);
  // Reads the results of the Parses queued by sendPrepares, up to their Sync; forgets the
  // ones that failed. The first failure, if any.
  Task<std::optional<Error>> readPrepares(const std::vector<std::string>& queued);

  // Bounds the statements kept per connection (the adapter has a few dozen distinct ones).
  static constexpr std::size_t kMaxPrepared = 128;

  PGconn* conn_;
  boost::asio::posix::stream_descriptor sock_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds io_timeout_;
  bool broken_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace parley::postgres
