// The adapter's threads: one writer with group commit, and a pool of readers.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "adapters/sqlite/db.h"
#include "adapters/sqlite/job.h"

namespace parley::sqlite {

// Owns the only write connection. Each round it takes every job queued at that moment and
// runs them in ONE transaction, each inside its own savepoint so that a failing job
// (a conflict, say) rolls back only itself; one fsync then makes the whole round durable,
// and only after the COMMIT are the waiting coroutines resumed (invariant 1).
class Writer {
 public:
  explicit Writer(std::unique_ptr<Db> db);
  // Finishes every queued job, then stops.
  ~Writer();

  JobQueue& queue() { return queue_; }

 private:
  void loop();
  void runRound(std::vector<JobPtr>& jobs, std::size_t begin);

  std::unique_ptr<Db> db_;
  JobQueue queue_;
  std::thread thread_;
};

// One thread per read-only connection; each job runs in its own read transaction so that
// it sees one consistent snapshot.
class ReaderPool {
 public:
  explicit ReaderPool(std::vector<std::unique_ptr<Db>> dbs);
  // Finishes every queued job, then stops.
  ~ReaderPool();

  JobQueue& queue() { return queue_; }

 private:
  void loop(Db& db);

  std::vector<std::unique_ptr<Db>> dbs_;
  JobQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace parley::sqlite
