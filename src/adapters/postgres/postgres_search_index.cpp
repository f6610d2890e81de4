#include "adapters/postgres/postgres_search_index.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "adapters/postgres/pool.h"
#include "adapters/postgres/search_ops.h"

namespace parley::postgres {

namespace {

namespace asio = boost::asio;

// Borrows a connection for `body(conn)`; `body` lives in this frame (see postgres_store.cpp).
template <class T, class Body>
Task<T> withConnection(Pool& pool, Body body) {
  auto conn = co_await pool.acquire();
  if (!conn) co_return T(conn.error());
  Lease lease(pool, std::move(*conn));
  T result = co_await body(lease.conn());
  co_return result;
}

class PostgresSearchIndex final : public SearchIndex {
 public:
  PostgresSearchIndex(const std::string& url, int pool_size)
      : pool_(ioc_.get_executor(),
              PgConn::Options{url, std::chrono::seconds(10), std::chrono::seconds(30)},
              std::max(1, pool_size)),
        thread_([this] { ioc_.run(); }) {}

  ~PostgresSearchIndex() override {
    work_.reset();  // run() returns once the calls in flight have completed
    thread_.join();
  }

  Task<Result<Seq>> watermark(RoomId room) override {
    return call<Result<Seq>>([room](PgConn& c) { return search_ops::watermark(c, room); });
  }
  Task<Status> apply(IndexBatch batch) override {
    return call<Status>([b = std::move(batch)](PgConn& c) { return search_ops::apply(c, b); });
  }
  Task<Result<std::vector<IndexHit>>> search(IndexQuery q) override {
    return call<Result<std::vector<IndexHit>>>(
        [q = std::move(q)](PgConn& c) { return search_ops::search(c, q); });
  }
  Task<Result<std::int64_t>> count(IndexQuery q, std::int64_t cap) override {
    return call<Result<std::int64_t>>(
        [q = std::move(q), cap](PgConn& c) { return search_ops::count(c, q, cap); });
  }
  Task<Result<std::vector<SuggestHit>>> suggest(SuggestQuery q) override {
    return call<Result<std::vector<SuggestHit>>>(
        [q = std::move(q)](PgConn& c) { return search_ops::suggest(c, q); });
  }
  Task<Status> dropRoom(RoomId room) override {
    return call<Status>([room](PgConn& c) { return search_ops::dropRoom(c, room); });
  }

 private:
  // Runs `body(conn)` on this index's thread with a pooled connection and completes on the
  // caller's executor, which it keeps busy meanwhile (as the store does).
  template <class T, class Body>
  Task<T> call(Body body) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
        [this](auto handler, Body b) {
          auto home = asio::prefer(asio::get_associated_executor(handler),
                                   asio::execution::outstanding_work.tracked);
          asio::co_spawn(ioc_, withConnection<T>(pool_, std::move(b)),
                         [h = std::move(handler), home = std::move(home)](std::exception_ptr e,
                                                                          T result) mutable {
                           if (e)
                             result =
                                 T(makeError(Code::internal, "postgres: unexpected exception"));
                           asio::post(home, [h = std::move(h), r = std::move(result)]() mutable {
                             std::move(h)(std::move(r));
                           });
                         });
        },
        asio::use_awaitable, std::move(body));
  }

  // Declared first, destroyed last: the pool's sockets and timers belong to it.
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  Pool pool_;
  std::thread thread_;
};

}  // namespace

Result<SearchIndexPtr> openPostgresSearchIndex(const std::string& url, int pool_size) {
  auto index = std::make_unique<PostgresSearchIndex>(url, pool_size);
  // One round trip now, so a database without the search tables fails at start.
  asio::io_context io;
  auto probe = asio::co_spawn(io, index->watermark(0), asio::use_future);
  io.run();
  auto ok = probe.get();
  if (!ok) return ok.error();
  return SearchIndexPtr(std::move(index));
}

}  // namespace parley::postgres
