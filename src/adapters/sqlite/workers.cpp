#include "adapters/sqlite/workers.h"

namespace parley::sqlite {

namespace {

// Bounds one transaction's length (and the latency of its first job).
constexpr std::size_t kMaxRound = 256;

// Runs a transaction-control statement; false (and rolled back) when it failed.
bool control(Db& db, const char* sql, Error* error) {
  try {
    db.exec(sql);
    return true;
  } catch (const SqliteError& e) {
    *error = e.error();
    if (!db.autocommit()) sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
  }
}

void failRange(std::vector<JobPtr>& jobs, std::size_t begin, std::size_t end, const Error& e) {
  for (std::size_t i = begin; i < end; ++i) jobs[i]->fail(e);
}

}  // namespace

Writer::Writer(std::unique_ptr<Db> db) : db_(std::move(db)), thread_([this] { loop(); }) {}

Writer::~Writer() {
  queue_.close();
  thread_.join();
}

void Writer::loop() {
  for (auto jobs = queue_.popBatch(kMaxRound); !jobs.empty(); jobs = queue_.popBatch(kMaxRound)) {
    runRound(jobs, 0);
    for (auto& job : jobs) job->complete();
    jobs.clear();  // before blocking again: each job keeps its caller's executor busy
  }
}

// Runs jobs[begin..] in one transaction. If the transaction is lost midway (sqlite
// abandons it on some I/O errors), the jobs already run are failed and the rest get a
// new one.
void Writer::runRound(std::vector<JobPtr>& jobs, std::size_t begin) {
  Error error{Code::unavailable, "sqlite: transaction aborted"};
  if (!control(*db_, "BEGIN IMMEDIATE", &error)) {
    failRange(jobs, begin, jobs.size(), error);
    return;
  }
  for (std::size_t i = begin; i < jobs.size(); ++i) {
    bool lost = !control(*db_, "SAVEPOINT job", &error);
    if (!lost) {
      const bool job_ok = jobs[i]->execute(*db_);
      lost = db_->autocommit() || (!job_ok && !control(*db_, "ROLLBACK TO job", &error)) ||
             !control(*db_, "RELEASE job", &error);
    }
    if (lost) {
      failRange(jobs, begin, i + 1, error);
      if (i + 1 < jobs.size()) runRound(jobs, i + 1);
      return;
    }
  }
  if (!control(*db_, "COMMIT", &error)) failRange(jobs, begin, jobs.size(), error);
}

ReaderPool::ReaderPool(std::vector<std::unique_ptr<Db>> dbs) : dbs_(std::move(dbs)) {
  threads_.reserve(dbs_.size());
  for (auto& db : dbs_) threads_.emplace_back([this, &db = *db] { loop(db); });
}

ReaderPool::~ReaderPool() {
  queue_.close();
  for (auto& t : threads_) t.join();
}

void ReaderPool::loop(Db& db) {
  for (auto jobs = queue_.popBatch(1); !jobs.empty(); jobs = queue_.popBatch(1)) {
    Job& job = *jobs.front();
    Error error{Code::unavailable, {}};
    if (control(db, "BEGIN", &error)) {
      job.execute(db);
      // It wrote nothing: ending with ROLLBACK just releases the snapshot.
      if (!db.autocommit()) sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    } else {
      job.fail(error);
    }
    job.complete();
    jobs.clear();  // before blocking again: the job keeps its caller's executor busy
  }
}

}  // namespace parley::sqlite
