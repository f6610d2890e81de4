// The store against a server that goes away and comes back. These tests stop and restart
// the shared test server (found through PARLEY_SERVICES_DIR, as scripts/services.sh
// leaves it), so ctest runs them alone (RUN_SERIAL).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/postgres_store.h"
#include "adapters/postgres/test_database.h"

namespace parley::postgres {
namespace {

template <class R>
std::string errorOf(const R& r) {
  return r.has_error() ? std::string(codeName(r.error().code)) + ": " + r.error().message
                       : std::string("ok");
}

// Runs the tasks concurrently on a private io_context and returns their results.
template <class T>
std::vector<T> runAll(std::vector<Task<T>> tasks) {
  boost::asio::io_context ioc;
  std::vector<std::future<T>> futures;
  for (auto& t : tasks) {
    futures.push_back(boost::asio::co_spawn(ioc, std::move(t), boost::asio::use_future));
  }
  ioc.run();
  std::vector<T> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

template <class T>
T run(Task<T> task) {
  std::vector<Task<T>> one;
  one.push_back(std::move(task));
  return std::move(runAll(std::move(one)).front());
}

// Runs pg_ctl on the test server's data directory; its exit status.
int pgCtl(const std::string& args) {
  const char* dir = std::getenv("PARLEY_SERVICES_DIR");
  if (!dir || !*dir) {
    ADD_FAILURE() << "PARLEY_SERVICES_DIR is not set: " << testing::kHowToRun;
    return -1;
  }
  const std::string data = std::string(dir) + "/pg";
  // initdb refuses root, so scripts/services.sh runs the server as postgres.
  const std::string as = ::getuid() == 0 ? "runuser -u postgres -- " : "";
  const std::string cmd = as + "\"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl\"" +
                          " -D '" + data + "' -l '" + dir + "/pg.log' -w -t 60 " + args +
                          " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

class PostgresRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = testing::freshDatabase();
    ASSERT_FALSE(url.empty());
    auto store = openPostgresStore(url, {.pool_size = 4});
    ASSERT_TRUE(store) << errorOf(store);
    store_ = std::move(*store);
    auto alice = run(store_->createUser("alice", "h", 1));
    ASSERT_TRUE(alice) << errorOf(alice);
    alice_ = alice->id;
    NewRoom nr;
    nr.created_by = alice_;
    auto room = run(store_->createRoom(nr));
    ASSERT_TRUE(room) << errorOf(room);
    room_ = room->id;
    // Open every pooled connection, so that all of them are hit by the restart.
    ASSERT_TRUE(everyConnectionReads());
  }

  void TearDown() override {
    // Leave the server running for the next test, whatever happened here.
    if (::testing::Test::HasFailure()) pgCtl("-m fast restart");
  }

  // As many concurrent reads as the pool holds; true when all succeeded.
  bool everyConnectionReads() {
    std::vector<Task<Result<User>>> reads;
    for (int i = 0; i < 4; ++i) reads.push_back(store_->userById(alice_));
    bool ok = true;
    for (auto& r : runAll(std::move(reads))) {
      EXPECT_TRUE(r) << errorOf(r);
      ok = ok && r.has_value();
    }
    return ok;
  }

  Result<AppendResult> send(const std::string& client_msg_id) {
    AppendRequest r;
    r.room_id = room_;
    r.event_id = "ev-" + client_msg_id;
    r.sender = alice_;
    r.client_msg_id = client_msg_id;
    r.sealed_body = "body";
    return run(store_->append(std::move(r)));
  }

  StorePtr store_;
  UserId alice_ = 0;
  RoomId room_ = 0;
};

TEST_F(PostgresRestart, CallsAreUnavailableWhileTheServerIsDownThenRecover) {
  ASSERT_TRUE(send("before"));
  ASSERT_EQ(pgCtl("-m fast stop"), 0);

  auto read = run(store_->userById(alice_));
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Code::unavailable) << read.error().message;
  auto sent = send("during");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Code::unavailable) << sent.error().message;

  // `restart` of a stopped server starts it with the options it last ran with.
  ASSERT_EQ(pgCtl("-m fast restart"), 0);
  EXPECT_TRUE(everyConnectionReads());
  auto after = send("after");
  ASSERT_TRUE(after) << errorOf(after);
  EXPECT_EQ(after->event.seq, 2);  // the failed send took no seq
  auto retried = send("during");   // the caller's retry of the failed send
  ASSERT_TRUE(retried) << errorOf(retried);
  EXPECT_FALSE(retried->duplicate);
  EXPECT_EQ(retried->event.seq, 3);
}

TEST_F(PostgresRestart, ConnectionsClosedByARestartAreReplaced) {
  ASSERT_EQ(pgCtl("-m fast restart"), 0);
  // Every pooled connection was closed by the server; none of that reaches the callers.
  EXPECT_TRUE(everyConnectionReads());
  auto sent = send("after-restart");
  ASSERT_TRUE(sent) << errorOf(sent);
  EXPECT_EQ(sent->event.seq, 1);
}

}  // namespace
}  // namespace parley::postgres
