// Thumbnail jobs on a small worker pool, taken fairly: one user's jobs never wait behind
// another user's queue, only behind the jobs already running (at most one per worker).
//
// Jobs are taken round-robin over the users with jobs queued; a user who had nothing
// queued goes ahead of those already served in this round (but behind other newcomers),
// so one upload's thumbnail waits only for the jobs running when it arrives and for other
// newcomers', never for another user's queue. A user may have at most
// `per_user` jobs queued or running; submit refuses more (the caller goes without a
// thumbnail). Thread-safe. The destructor waits for running and queued jobs to finish.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include "domain/types.h"

namespace parley {

class ThumbnailQueue {
 public:
  ThumbnailQueue(int threads, int per_user);
  ~ThumbnailQueue();

  // Queues `job` (CPU-bound; runs on a worker thread). false, and nothing queued, when
  // `user` already has `per_user` jobs queued or running.
  bool submit(UserId user, std::function<void()> job);

 private:
  void runNext();

  const int per_user_;
  std::mutex mu_;
  std::map<UserId, std::deque<std::function<void()>>> queued_;  // guarded by mu_
  std::deque<UserId> turns_;       // users with jobs queued, next first; guarded by mu_
  std::size_t fresh_ = 0;          // the first fresh_ of turns_ have not been served yet
  std::map<UserId, int> active_;   // jobs queued or running, per user; guarded by mu_
  boost::asio::thread_pool pool_;  // last: joined before the queues go
};

}  // namespace parley
