// Work handed from a coroutine to one of the adapter's threads, and the way back.
//
// `submit` suspends the calling coroutine, queues a job holding the work and the
// coroutine's completion handler, and a worker thread runs it on its own connection.
// The job keeps the caller's executor busy (outstanding work) until it posts the result
// back there, so the caller resumes on its own executor, never on a worker thread.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <vector>

#include "adapters/sqlite/db.h"
#include "core/error.h"
#include "ports/store.h"

namespace parley::sqlite {

class Job {
 public:
  virtual ~Job() = default;
  // Runs the work on `db`. Returns false when it produced an error, so that the writer
  // rolls back whatever the work did.
  virtual bool execute(Db& db) noexcept = 0;
  // Replaces the result: the transaction holding the work did not commit.
  virtual void fail(Error e) = 0;
  // Posts the result to the waiting coroutine's executor. Called exactly once, last.
  virtual void complete() = 0;
};
using JobPtr = std::unique_ptr<Job>;

// `T` is a Result<...> or Status; `Work` is callable as `T(Db&)`.
template <class T, class Work, class Handler>
class BoundJob final : public Job {
 public:
  BoundJob(Work work, Handler handler)
      : work_(std::move(work)),
        executor_(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked)),
        handler_(std::move(handler)) {}

  bool execute(Db& db) noexcept override {
    try {
      result_.emplace(work_(db));
    } catch (const SqliteError& e) {
      result_.emplace(e.error());
    } catch (const std::bad_alloc&) {
      result_.emplace(makeError(Code::internal, "sqlite: out of memory"));
    } catch (...) {
      result_.emplace(makeError(Code::internal, "sqlite: unexpected exception"));
    }
    return !result_->has_error();
  }

  void fail(Error e) override { result_.emplace(std::move(e)); }

  void complete() override {
    boost::asio::post(executor_, [h = std::move(handler_), r = std::move(*result_)]() mutable {
      std::move(h)(std::move(r));
    });
  }

 private:
  Work work_;
  decltype(boost::asio::prefer(boost::asio::get_associated_executor(std::declval<Handler&>()),
                               boost::asio::execution::outstanding_work.tracked)) executor_;
  Handler handler_;
  std::optional<T> result_;
};

// A blocking multi-producer queue of jobs. After `close`, consumers drain what is left
// and then get nothing; pushes fail the job at once.
class JobQueue {
 public:
  void push(JobPtr job) {
    {
      std::lock_guard lock(mu_);
      if (!closed_) {
        jobs_.push_back(std::move(job));
        cv_.notify_one();
        return;
      }
    }
    job->fail(makeError(Code::unavailable, "sqlite: store is shutting down"));
    job->complete();
  }

  // Blocks until at least one job is queued; returns up to `max` of them, in order.
  // Empty only once the queue is closed and drained.
  std::vector<JobPtr> popBatch(std::size_t max) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
    std::vector<JobPtr> batch;
    while (!jobs_.empty() && batch.size() < max) {
      batch.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    if (!jobs_.empty()) cv_.notify_one();
    return batch;
  }

  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobPtr> jobs_;
  bool closed_ = false;
};

// Runs `work(Db&) -> T` on a thread consuming `queue` and resumes the caller with its
// result. `queue` must outlive the returned task.
template <class T, class Work>
Task<T> submit(JobQueue& queue, Work work) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
      [&queue](auto handler, Work w) {
        using Handler = decltype(handler);
        queue.push(std::make_unique<BoundJob<T, Work, Handler>>(std::move(w), std::move(handler)));
      },
      boost::asio::use_awaitable, std::move(work));
}

}  // namespace parley::sqlite
