#include "adapters/postgres/postgres_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/test_database.h"
#include "ports/store_contract.h"

namespace parley::postgres {
namespace {

using store_contract::errorOf;
using store_contract::run;
using store_contract::runAll;
using testing::freshDatabase;
using testing::scalarOn;

StorePtr openFresh() {
  const std::string url = freshDatabase();
  if (url.empty()) return nullptr;
  auto store = openPostgresStore(url);
  EXPECT_TRUE(store) << errorOf(store);
  return store ? std::move(*store) : nullptr;
}

using store_contract::StoreContract;
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values(openFresh));

// --- schema and migrations ---

TEST(PostgresSchema, MigrationsAreRecordedAndIdempotent) {
  const std::string url = freshDatabase();
  ASSERT_FALSE(url.empty());
  const int want = postgresSchemaVersion();
  ASSERT_GE(want, 1);
  for (int i = 0; i < 2; ++i) {
    auto version = migratePostgres(url);
    ASSERT_TRUE(version) << errorOf(version);
    EXPECT_EQ(*version, want);
  }
  ASSERT_TRUE(openPostgresStore(url));
  ASSERT_TRUE(openPostgresStore(url, {.migrate = false}));
  EXPECT_EQ(scalarOn(url, "SELECT count(*) FROM schema_migrations"), std::to_string(want));
  EXPECT_EQ(scalarOn(url, "SELECT max(version) FROM schema_migrations"), std::to_string(want));
  EXPECT_EQ(scalarOn(url, "SELECT count(*) FROM schema_migrations WHERE applied_at IS NULL"), "0");
}

TEST(PostgresSchema, NodesMigratingAtOnceApplyEachStepOnce) {
  const std::string url = freshDatabase();
  ASSERT_FALSE(url.empty());
  std::vector<Result<int>> versions(6, makeError(Code::internal, "not run"));
  std::vector<std::thread> nodes;
  for (auto& v : versions) nodes.emplace_back([&v, &url] { v = migratePostgres(url); });
  for (auto& t : nodes) t.join();
  for (auto& v : versions) {
    ASSERT_TRUE(v) << errorOf(v);
    EXPECT_EQ(*v, postgresSchemaVersion());
  }
  EXPECT_EQ(scalarOn(url, "SELECT count(*) FROM schema_migrations"),
            std::to_string(postgresSchemaVersion()));
}

TEST(PostgresSchema, RefusesADatabaseFromANewerBuild) {
  const std::string url = freshDatabase();
  ASSERT_FALSE(url.empty());
  ASSERT_TRUE(migratePostgres(url));
  const int newer = postgresSchemaVersion() + 1;
  ASSERT_EQ(testing::execOn(url, "INSERT INTO schema_migrations(version) VALUES (" +
                                     std::to_string(newer) + ")"),
            "");
  const std::string expected = "postgres schema version " + std::to_string(newer) +
                               " is newer than this build's " +
                               std::to_string(postgresSchemaVersion());
  for (bool migrate : {true, false}) {
    auto store = openPostgresStore(url, {.migrate = migrate});
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Code::internal);
    EXPECT_NE(store.error().message.find(expected), std::string::npos) << store.error().message;
  }
  auto version = migratePostgres(url);
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, Code::internal);
}

TEST(PostgresSchema, WithoutMigrationAnOlderSchemaIsRefused) {
  const std::string url = freshDatabase();
  ASSERT_FALSE(url.empty());
  auto store = openPostgresStore(url, {.migrate = false});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::internal);
  EXPECT_NE(store.error().message.find("older than this build"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(scalarOn(url, "SELECT to_regclass('users') IS NULL"), "t");  // nothing created
}

TEST(PostgresSchema, AnUnreachableServerIsUnavailable) {
  // A bound but not listening socket: connecting to its port is refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url =
      "postgresql://parley:parley@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/parley";
  auto store = openPostgresStore(url);
  ::close(fd);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::unavailable) << store.error().message;
}

// --- several nodes on one database ---

class PostgresNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = freshDatabase();
    ASSERT_FALSE(url_.empty());
    for (int i = 0; i < 3; ++i) {
      auto store = openPostgresStore(url_);
      ASSERT_TRUE(store) << errorOf(store);
      nodes_.push_back(std::move(*store));
    }
    auto alice = run(nodes_[0]->createUser("alice", "h", 1));
    ASSERT_TRUE(alice) << errorOf(alice);
    alice_ = alice->id;
    NewRoom nr;
    nr.name = "busy";
    nr.created_by = alice_;
    auto room = run(nodes_[1]->createRoom(nr));
    ASSERT_TRUE(room) << errorOf(room);
    room_ = room->id;
  }

  AppendRequest message(const std::string& client_msg_id, const std::string& event_id) const {
    AppendRequest r;
    r.room_id = room_;
    r.event_id = event_id;
    r.sender = alice_;
    r.client_msg_id = client_msg_id;
    r.now = 5;
    r.key_version = 1;
    r.sealed_body = "sealed:" + client_msg_id;
    return r;
  }

  std::string url_;
  std::vector<StorePtr> nodes_;
  UserId alice_ = 0;
  RoomId room_ = 0;
};

// One sender appending `count` messages in order; returns the seqs it was given.
Task<std::vector<Seq>> sendMany(Store& store, AppendRequest base, std::string prefix, int count) {
  std::vector<Seq> seqs;
  for (int i = 0; i < count; ++i) {
    AppendRequest r = base;
    r.client_msg_id = prefix + "-" + std::to_string(i);
    r.event_id = "ev-" + r.client_msg_id;
    auto sent = co_await store.append(std::move(r));
    seqs.push_back(sent && !sent->duplicate ? sent->event.seq : -1);
  }
  co_return seqs;
}

TEST_F(PostgresNodes, ConcurrentSendersOnThreeNodesGetGaplessSeqs) {
  constexpr int kSendersPerNode = 20;
  constexpr int kMessagesEach = 50;
  constexpr int kTotal = 3 * kSendersPerNode * kMessagesEach;
  std::vector<Task<std::vector<Seq>>> senders;
  for (int node = 0; node < 3; ++node) {
    for (int s = 0; s < kSendersPerNode; ++s) {
      senders.push_back(sendMany(*nodes_[static_cast<std::size_t>(node)], message("", ""),
                                 "n" + std::to_string(node) + "s" + std::to_string(s),
                                 kMessagesEach));
    }
  }
  std::vector<Seq> all;
  for (const auto& seqs : runAll(std::move(senders), 4)) {
    // Each sender's own messages are ordered as it sent them.
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
    all.insert(all.end(), seqs.begin(), seqs.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<Seq> want(kTotal);
  std::iota(want.begin(), want.end(), 1);
  EXPECT_EQ(all, want);  // every send succeeded, no gap, no repeat
  EXPECT_EQ(run(nodes_[2]->roomById(room_))->last_seq, kTotal);
  EXPECT_EQ(scalarOn(url_, "SELECT count(DISTINCT seq) FROM events"), std::to_string(kTotal));
}

TEST_F(PostgresNodes, ARetriedSendRacingItselfIsStoredOnce) {
  constexpr int kKeys = 20;
  constexpr int kRacersPerNode = 4;
  std::vector<Task<Result<AppendResult>>> racers;
  for (int k = 0; k < kKeys; ++k) {
    for (int node = 0; node < 3; ++node) {
      for (int i = 0; i < kRacersPerNode; ++i) {
        racers.push_back(nodes_[static_cast<std::size_t>(node)]->append(message(
            "key-" + std::to_string(k),
            "ev-" + std::to_string(k) + "-" + std::to_string(node) + "-" + std::to_string(i))));
      }
    }
  }
  std::vector<int> originals(kKeys, 0);
  std::vector<std::set<std::string>> event_ids(kKeys);
  std::set<Seq> seqs;
  for (auto& r : runAll(std::move(racers), 4)) {
    ASSERT_TRUE(r) << errorOf(r);
    const int k = std::stoi(r->event.client_msg_id.substr(4));
    originals[static_cast<std::size_t>(k)] += r->duplicate ? 0 : 1;
    event_ids[static_cast<std::size_t>(k)].insert(r->event.event_id);
    seqs.insert(r->event.seq);
  }
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(originals[static_cast<std::size_t>(k)], 1) << "key " << k;
    EXPECT_EQ(event_ids[static_cast<std::size_t>(k)].size(), 1u) << "key " << k;
  }
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kKeys));
  EXPECT_EQ(*seqs.rbegin(), kKeys);  // seqs 1..kKeys: the losers left no gap
  EXPECT_EQ(run(nodes_[0]->roomById(room_))->last_seq, kKeys);
  EXPECT_EQ(scalarOn(url_, "SELECT count(*) FROM events"), std::to_string(kKeys));
}

TEST_F(PostgresNodes, BinaryBodiesRoundTrip) {
  std::string body(256, '\0');
  for (int i = 0; i < 256; ++i) body[static_cast<std::size_t>(i)] = static_cast<char>(i);
  AppendRequest r = message("binary", "ev-binary");
  r.sealed_body = body;
  auto sent = run(nodes_[0]->append(std::move(r)));
  ASSERT_TRUE(sent) << errorOf(sent);
  auto read = run(nodes_[1]->eventAt(room_, sent->event.seq));
  ASSERT_TRUE(read) << errorOf(read);
  EXPECT_EQ(read->sealed_body, body);
}

// --- the audit chain across nodes ---

// Two nodes (two stores, two pools) appending at once still make one chain: every append
// holds the chain's advisory lock from reading the newest hash to its commit.
TEST(PostgresAudit, TwoNodesAppendingAtOnceKeepOneChain) {
  const std::string url = freshDatabase();
  ASSERT_FALSE(url.empty());
  auto a = openPostgresStore(url);
  auto b = openPostgresStore(url);
  ASSERT_TRUE(a && b);
  (*a)->setAuditChain(store_contract::testLink);
  (*b)->setAuditChain(store_contract::testLink);
  std::vector<Task<Status>> writes;
  for (int i = 0; i < 200; ++i) {
    Store& node = i % 2 == 0 ? **a : **b;
    AuditEvent e = store_contract::auditOf(i, "login", "10.0.0." + std::to_string(i % 250), i);
    writes.push_back(i % 5 == 0 ? node.countAudit(e, "k", 60'000) : node.recordAudit(e));
  }
  for (const auto& st : runAll(std::move(writes), 4)) ASSERT_TRUE(st) << errorOf(st);
  auto rows = store_contract::wholeChain(**b);
  EXPECT_EQ(rows.size(), 200u);
  store_contract::expectLinked(rows, "");
}

}  // namespace
}  // namespace parley::postgres
