// A bounded pool of PgConn, used only from the adapter's io_context thread (so it needs
// no lock).
//
// `acquire` hands out an idle connection that still looks alive, else opens a new one
// while fewer than `size` are open, else waits for one to be released. Connections that
// broke, or that the server closed while idle (a restart), are dropped and replaced by a
// fresh connect on a later acquire; while the server is down, acquire fails with
// Code::unavailable instead of waiting.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <vector>

#include "adapters/postgres/pg_conn.h"

namespace parley::postgres {

class Pool {
 public:
  Pool(boost::asio::any_io_executor ex, PgConn::Options opts, int size);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Task<Result<PgConn::Ptr>> acquire();
  // Takes back a connection from acquire: kept if reusable, else closed.
  void release(PgConn::Ptr conn);

 private:
  struct Waiter {
    boost::asio::steady_timer wake;  // never expires; cancelled to wake the waiter
    PgConn::Ptr conn;                // a connection handed over, or null: a slot is free
  };
  // Hands `conn` (or a free slot) to the oldest waiter, if any. False when none waits.
  bool wakeOne(PgConn::Ptr& conn);

  boost::asio::any_io_executor ex_;
  PgConn::Options opts_;
  int size_;
  int open_ = 0;  // idle + lent out + connecting
  std::vector<PgConn::Ptr> idle_;
  std::deque<Waiter*> waiters_;
};

// Borrows a connection for one scope and gives it back, whatever happens.
class Lease {
 public:
  Lease(Pool& pool, PgConn::Ptr conn) : pool_(pool), conn_(std::move(conn)) {}
  ~Lease() { pool_.release(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  PgConn& conn() { return *conn_; }

 private:
  Pool& pool_;
  PgConn::Ptr conn_;
};

}  // namespace parley::postgres
