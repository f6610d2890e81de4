#include "adapters/postgres/pg_conn.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <memory>
#include <optional>

namespace parley::postgres {

namespace asio = boost::asio;
using asio::posix::descriptor_base;
using asio::posix::stream_descriptor;

namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnDeleter>;

// Notices (and the FATAL a shutting-down server sends to idle connections) would go to
// stderr by default; the outcomes that matter reach the caller as errors instead.
void ignoreNotice(void*, const char*) {}

// Waits for `w` on the descriptor, or until the timer expires, whichever comes first; the
// other wait is cancelled and the caller resumes once both have completed, so nothing is
// left pending on `sock` or `timer`. True when the descriptor became ready.
//
// (Not Asio's awaitable operators: g++ 12, src/README.md.)
Task<bool> waitUntil(stream_descriptor& sock, asio::steady_timer& timer,
                     descriptor_base::wait_type w) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(
      [&sock, &timer, w](auto completion) {
        using Handler = decltype(completion);
        struct Race {
          Handler handler;
          int pending = 2;
          bool ready = false;
        };
        auto race = std::make_shared<Race>(Race{std::move(completion)});
        auto finish = [race] {
          if (--race->pending == 0) std::move(race->handler)(race->ready);
        };
        // Both handlers run on the connection's executor, one at a time.
        sock.async_wait(w, [race, finish, &timer](boost::system::error_code ec) {
          race->ready = !ec;
          timer.cancel();
          finish();
        });
        timer.async_wait([finish, &sock](boost::system::error_code ec) {
          if (!ec) sock.cancel();
          finish();
        });
      },
      asio::use_awaitable);
}

// libpq may replace the socket between polls (it tries each address in turn), so each
// wait gets a fresh dup of the current one.
Result<stream_descriptor> watch(const asio::any_io_executor& ex, PGconn* conn) {
  const int fd = ::dup(PQsocket(conn));
  if (fd < 0) return connectionError(conn, "cannot watch the socket");
  return stream_descriptor(ex, fd);
}

}  // namespace

Task<Result<PgConn::Ptr>> PgConn::connect(asio::any_io_executor ex, const Options& opts) {
  // expand_dbname=1: the first "dbname" is the whole URL; later keys override it.
  const char* const keys[] = {"dbname", "client_encoding", nullptr};
  const char* const values[] = {opts.url.c_str(), "UTF8", nullptr};
  ConnHandle conn(PQconnectStartParams(keys, values, 1));
  if (!conn) co_return makeError(Code::unavailable, "postgres: cannot allocate a connection");
  if (PQstatus(conn.get()) == CONNECTION_BAD) {
    co_return connectionError(conn.get(), "cannot connect");
  }
  asio::steady_timer timer(ex, opts.connect_timeout);
  // As libpq documents: behave as if the last poll had asked to wait for writing.
  PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
  while (polled != PGRES_POLLING_OK) {
    if (polled == PGRES_POLLING_FAILED) co_return connectionError(conn.get(), "cannot connect");
    auto sock = watch(ex, conn.get());
    if (!sock) co_return sock.error();
    const auto w =
        polled == PGRES_POLLING_READING ? descriptor_base::wait_read : descriptor_base::wait_write;
    const bool ready = co_await waitUntil(*sock, timer, w);
    if (!ready && timer.expiry() <= asio::steady_timer::clock_type::now()) {
      co_return makeError(Code::unavailable, "postgres: connect timed out");
    }
    polled = PQconnectPoll(conn.get());
  }
  if (PQsetnonblocking(conn.get(), 1) != 0) {
    co_return connectionError(conn.get(), "cannot make the connection non-blocking");
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);
  auto sock = watch(ex, conn.get());
  if (!sock) co_return sock.error();
  co_return Ptr(new PgConn(conn.release(), std::move(*sock), opts.io_timeout));
}

PgConn::PgConn(PGconn* conn, stream_descriptor sock, std::chrono::milliseconds io)
    : conn_(conn), sock_(std::move(sock)), timer_(sock_.get_executor()), io_timeout_(io) {}

PgConn::~PgConn() { PQfinish(conn_); }  // sock_ then closes its own dup

bool PgConn::reusable() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

bool PgConn::looksAlive() {
  // An idle connection receives nothing unless the server is telling us it is going away
  // (a FATAL then EOF) or reports a parameter change: consume what is there and look again.
  for (int round = 0; round < 4; ++round) {
    if (!reusable()) return false;
    char byte;
    const ssize_t n = ::recv(PQsocket(conn_), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0 || !PQconsumeInput(conn_)) return false;
    PQisBusy(conn_);  // parses what arrived (notices go to ignoreNotice)
    while (PGnotify* note = PQnotifies(conn_)) PQfreemem(note);
  }
  return false;
}

Task<bool> PgConn::wait(descriptor_base::wait_type w) {
  timer_.expires_after(io_timeout_);
  const bool ready = co_await waitUntil(sock_, timer_, w);
  if (!ready) {
    broken_ = true;
    co_return false;
  }
  co_return true;
}

// Waits for writability only: our pipelines are a few short statements, so the server
// never blocks on sending results to us while we block on sending to it.
Task<bool> PgConn::flush() {
  for (;;) {
    const int rc = PQflush(conn_);
    if (rc == 0) co_return true;
    if (rc < 0) break;
    const bool ready = co_await wait(descriptor_base::wait_write);
    if (!ready) break;
  }
  broken_ = true;
  co_return false;
}

Task<PGresult*> PgConn::nextResult() {
  while (PQisBusy(conn_)) {
    const bool ready = co_await wait(descriptor_base::wait_read);
    if (!ready) co_return nullptr;
    if (!PQconsumeInput(conn_)) {
      broken_ = true;
      co_return nullptr;
    }
  }
  co_return PQgetResult(conn_);
}

bool PgConn::send(const char* sql, const Params& p) {
  // resultFormat 1: binary rows, decoded by PgResult.
  if (auto it = prepared_.find(sql); it != prepared_.end()) {
    return PQsendQueryPrepared(conn_, it->second.c_str(), p.size(), p.values(), p.lengths(),
                               p.formats(), 1) == 1;
  }
  return PQsendQueryParams(conn_, sql, p.size(), p.types(), p.values(), p.lengths(), p.formats(),
                           1) == 1;
}

bool PgConn::sendPrepares(const std::vector<Ref>& statements, std::vector<std::string>& queued) {
  for (const Ref& s : statements) {
    if (prepared_.size() >= kMaxPrepared) break;  // the rest run unnamed
    std::string sql = s.sql;
    if (prepared_.contains(sql)) continue;
    std::string name = "parley_" + std::to_string(prepared_.size());
    if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), s.params->size(), s.params->types()) != 1) {
      return false;
    }
    // Used by send() from here on; readPrepares forgets it again if the Parse failed.
    prepared_.emplace(sql, std::move(name));
    queued.push_back(std::move(sql));
  }
  return queued.empty() || PQpipelineSync(conn_) == 1;
}

Task<std::optional<Error>> PgConn::readPrepares(const std::vector<std::string>& queued) {
  std::optional<Error> error;
  std::size_t next = 0;
  for (;;) {
    PGresult* r = co_await nextResult();
    if (broken_) co_return connectionError(conn_, "connection lost");
    if (!r) continue;
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (status != PGRES_COMMAND_OK && next < queued.size()) {
      if (!error && status != PGRES_PIPELINE_ABORTED) error = errorFrom(r, conn_);
      prepared_.erase(queued[next]);
    }
    ++next;
    PQclear(r);
  }
  co_return error;
}

Task<Result<PgResult>> PgConn::query(const char* sql, const Params& params) {
  const std::vector<Ref> one{{sql, &params}};
  auto r = co_await run(one);
  if (!r) co_return r.error();
  co_return std::move(r->front());
}

Task<Result<std::vector<PgResult>>> PgConn::pipeline(const std::vector<Statement>& statements) {
  std::vector<Ref> refs;
  refs.reserve(statements.size());
  for (const Statement& s : statements) refs.push_back({s.sql, &s.params});
  auto r = co_await run(refs);
  co_return r;
}

Task<bool> PgConn::sendPipeline(const std::vector<Ref>& statements,
                                std::vector<std::string>& prepares) {
  bool sent = !broken_ && PQenterPipelineMode(conn_) == 1;
  sent = sent && sendPrepares(statements, prepares);
  for (const Ref& s : statements) sent = sent && send(s.sql, *s.params);
  sent = sent && PQpipelineSync(conn_) == 1;
  if (!sent) co_return false;
  const bool flushed = co_await flush();
  co_return flushed;
}

// Each statement yields its result then nullptr; after the first error the rest yield
// PGRES_PIPELINE_ABORTED; the Sync's result ends the pipeline.
Task<void> PgConn::readResults(std::vector<PgResult>& results, std::optional<Error>& error) {
  for (;;) {
    PGresult* r = co_await nextResult();
    if (broken_) co_return;
    if (!r) continue;
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      co_return;
    }
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      results.emplace_back(r);
    } else {
      if (!error && status != PGRES_PIPELINE_ABORTED) error = errorFrom(r, conn_);
      PQclear(r);
    }
  }
}

Task<Result<std::vector<PgResult>>> PgConn::run(const std::vector<Ref>& statements) {
  std::vector<std::string> prepares;
  const bool sent = co_await sendPipeline(statements, prepares);
  if (!sent) {
    broken_ = true;
    co_return connectionError(conn_, "cannot send the pipeline");
  }
  std::optional<Error> error;
  if (!prepares.empty()) error = co_await readPrepares(prepares);
  if (broken_) co_return connectionError(conn_, "connection lost");
  std::vector<PgResult> results;
  co_await readResults(results, error);
  if (broken_) co_return connectionError(conn_, "connection lost");
  if (PQexitPipelineMode(conn_) != 1) broken_ = true;
  if (error) co_return *error;
  if (results.size() != statements.size()) {
    co_return makeError(Code::internal, "postgres: the pipeline returned too few results");
  }
  co_return results;
}

}  // namespace parley::postgres
