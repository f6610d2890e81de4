#include "adapters/postgres/pool.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley::postgres {

namespace asio = boost::asio;

Pool::Pool(asio::any_io_executor ex, PgConn::Options opts, int size)
    : ex_(std::move(ex)), opts_(std::move(opts)), size_(std::max(size, 1)) {}

Task<Result<PgConn::Ptr>> Pool::acquire() {
  for (;;) {
    while (!idle_.empty()) {
      PgConn::Ptr conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->looksAlive()) co_return conn;
      --open_;  // closed by the server while idle: drop it, try the next
    }
    if (open_ < size_) {
      ++open_;
      auto conn = co_await PgConn::connect(ex_, opts_);
      if (conn) co_return std::move(*conn);
      --open_;
      PgConn::Ptr none;
      wakeOne(none);  // the slot is free again: let a waiter try for itself
      co_return conn.error();
    }
    Waiter me{asio::steady_timer(ex_, asio::steady_timer::time_point::max()), nullptr};
    waiters_.push_back(&me);
    co_await me.wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (me.conn) co_return std::move(me.conn);
  }
}

void Pool::release(PgConn::Ptr conn) {
  if (!conn) return;
  if (!conn->reusable()) {
    conn.reset();
    --open_;
  }
  if (!wakeOne(conn) && conn) idle_.push_back(std::move(conn));
}

bool Pool::wakeOne(PgConn::Ptr& conn) {
  if (waiters_.empty()) return false;
  Waiter* w = waiters_.front();
  waiters_.pop_front();
  w->conn = std::move(conn);
  w->wake.cancel();
  return true;
}

}  // namespace parley::postgres
