#include "service/thumbnail_queue.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "core/metrics.h"

namespace parley {

ThumbnailQueue::ThumbnailQueue(int threads, int per_user)
    : per_user_(std::max(1, per_user)), pool_(static_cast<std::size_t>(std::max(1, threads))) {}

ThumbnailQueue::~ThumbnailQueue() { pool_.join(); }

bool ThumbnailQueue::submit(UserId user, std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    int& active = active_[user];
    if (active >= per_user_) return false;
    // A newcomer has nothing queued or running: it goes ahead of everyone already served.
    const bool newcomer = active == 0;
    ++active;
    auto& mine = queued_[user];
    if (mine.empty() && newcomer) {
      turns_.insert(turns_.begin() + static_cast<std::ptrdiff_t>(fresh_), user);
      ++fresh_;
    } else if (mine.empty()) {
      turns_.push_back(user);
    }
    mine.push_back(std::move(job));
  }
  metrics().thumbnail_jobs_queued.add(1);
  // One run per job queued; each run takes whichever job is due, not necessarily this one.
  boost::asio::post(pool_, [this] { runNext(); });
  return true;
}

void ThumbnailQueue::runNext() {
  std::function<void()> job;
  UserId user = 0;
  {
    std::lock_guard lock(mu_);
    // As many runs are posted as jobs queued, and each takes exactly one.
    if (turns_.empty()) return;
    user = turns_.front();
    turns_.pop_front();
    if (fresh_ > 0) --fresh_;
    auto it = queued_.find(user);
    job = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) {
      queued_.erase(it);
    } else {
      turns_.push_back(user);  // the user's next job waits for everyone else's turn
    }
  }
  metrics().thumbnail_jobs_queued.add(-1);
  try {
    job();
  } catch (...) {
    // A job reports its own errors; one that throws (out of memory) must not take the
    // worker or the user's count with it.
  }
  std::lock_guard lock(mu_);
  if (--active_[user] <= 0) active_.erase(user);
}

}  // namespace parley
