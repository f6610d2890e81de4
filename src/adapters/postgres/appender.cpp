#include "adapters/postgres/appender.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/postgres/ops.h"

namespace parley::postgres {

namespace asio = boost::asio;

Appender::Appender(asio::any_io_executor ex, Pool& pool, int max_batches)
    : ex_(std::move(ex)), pool_(pool), lanes_(static_cast<std::size_t>(std::max(max_batches, 1))) {}

Task<Result<AppendResult>> Appender::append(const AppendRequest& r) {
  Pending me{&r, asio::steady_timer(ex_, asio::steady_timer::time_point::max()), std::nullopt};
  const auto room = static_cast<std::uint64_t>(r.room_id);
  Lane& lane = lanes_[room % lanes_.size()];
  lane.queue.push_back(&me);
  if (!lane.flushing) {
    lane.flushing = true;
    asio::co_spawn(ex_, flushLoop(lane), asio::detached);
  }
  while (!me.result) co_await me.done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(*me.result);
}

void Appender::finish(Pending* p, Result<AppendResult> r) {
  p->result.emplace(std::move(r));
  p->done.cancel();
}

Task<void> Appender::flushLoop(Lane& lane) {
  while (!lane.queue.empty()) {
    auto conn = co_await pool_.acquire();
    if (!conn) {
      // The database is unreachable: everything waiting now gets the error.
      std::deque<Pending*> failed;
      failed.swap(lane.queue);
      for (Pending* p : failed) finish(p, conn.error());
      continue;
    }
    Lease lease(pool_, std::move(*conn));
    // Taken only now: what queued while waiting for the connection joins this batch.
    std::vector<Pending*> batch;
    while (!lane.queue.empty() && batch.size() < kMaxBatch) {
      batch.push_back(lane.queue.front());
      lane.queue.pop_front();
    }
    co_await runBatch(lease.conn(), batch);
  }
  lane.flushing = false;
}

Task<void> Appender::runBatch(PgConn& conn, std::vector<Pending*>& batch) {
  std::stable_sort(batch.begin(), batch.end(), [](const Pending* a, const Pending* b) {
    return a->request->room_id < b->request->room_id;
  });
  std::vector<const AppendRequest*> requests;
  requests.reserve(batch.size());
  for (const Pending* p : batch) requests.push_back(p->request);
  auto seqs = co_await ops::appendMessages(conn, requests);
  std::vector<Pending*> alone;  // to rerun one by one
  if (seqs) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto& written = (*seqs)[i]) {
        StoredEvent e = storedEventOf(*batch[i]->request, written->seq);
        e.mentions = std::move(written->mentions);
        setMentionFlags(e, written->mention_flags);
        finish(batch[i], AppendResult{.event = std::move(e)});
      } else {
        alone.push_back(batch[i]);
      }
    }
  } else if (!conn.reusable()) {
    // The connection broke: whether the batch committed is unknown, as for a single
    // append; the caller's retry (same client_msg_id) settles it.
    for (Pending* p : batch) finish(p, seqs.error());
    co_return;
  } else {
    alone = batch;  // nothing was stored
  }
  for (Pending* p : alone) {
    auto r = co_await ops::append(conn, *p->request);
    finish(p, std::move(r));
  }
}

}  // namespace parley::postgres
