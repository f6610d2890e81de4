// Group commit for message appends, private to this adapter.
//
// Each append used to be its own transaction: one round trip and one WAL flush per
// message, with the sender's connection held meanwhile. The Appender queues the messages
// that arrive while earlier ones are being committed and writes each queue-full as ONE
// transaction (one pipeline, one Sync, one WAL flush), on at most `max_batches`
// connections at a time (one per lane). Nothing changes for the caller: a message's seq still comes
// from its room row inside the transaction that stores it (invariant 2), and its coroutine resumes
// only after that transaction committed (invariant 1).
//
// Lanes: a room's messages always go to the same lane (room id modulo the lane count), and
// each lane has at most one batch in flight. Concurrent batches therefore never touch the
// same room row, so none waits for another's commit on a row lock (profiled: with every
// batch drawing from one queue, a pair's two senders often landed in two concurrent
// batches and the second waited for the first's WAL flush, `Lock:transactionid`); and one
// room's messages are stored in their arrival order. Within a batch messages are sorted by
// room (stable), so room rows are taken in ascending order. Anything a batch cannot settle by
// itself (a statement whose checks made it do nothing: a retried client_msg_id, a missing room, a
// bad reply_to; or a batch that failed as a whole, e.g. losing an idempotency race) is rerun alone
// through ops::append, in its own transaction, which explains it exactly as before.
//
// Used only on the store's io_context thread (no locks).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <optional>
#include <vector>

#include "adapters/postgres/pool.h"
#include "ports/store.h"

namespace parley::postgres {

class Appender {
 public:
  Appender(boost::asio::any_io_executor ex, Pool& pool, int max_batches);
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // A message (kind message). `r` must outlive the returned task.
  Task<Result<AppendResult>> append(const AppendRequest& r);

 private:
  struct Pending {
    const AppendRequest* request;
    boost::asio::steady_timer done;  // never expires; cancelled when `result` is set
    std::optional<Result<AppendResult>> result;
  };
  // Bounds one transaction (and the wait of its first message).
  static constexpr std::size_t kMaxBatch = 256;

  struct Lane {
    std::deque<Pending*> queue;
    bool flushing = false;  // its flushLoop runs
  };

  Task<void> flushLoop(Lane& lane);
  Task<void> runBatch(PgConn& conn, std::vector<Pending*>& batch);
  static void finish(Pending* p, Result<AppendResult> r);

  boost::asio::any_io_executor ex_;
  Pool& pool_;
  std::vector<Lane> lanes_;
};

}  // namespace parley::postgres
