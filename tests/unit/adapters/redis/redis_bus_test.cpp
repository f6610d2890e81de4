#include "adapters/redis/redis_bus.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/redis_cluster_admin.h"
#include "adapters/redis/redis_test_env.h"
#include "ports/bus_contract.h"

namespace parley::redis {
namespace {

using bus_contract::BusContract;
using bus_contract::BusUnderTest;
using bus_contract::Recorder;
using test::eventually;

// True once both connections are up and Redis confirmed every subscription change.
bool settled(const RedisStats& s) {
  return s.publisher_up.load() == 1 && s.subscriber_up.load() == 1 &&
         s.unconfirmed_subscriptions.load() == 0;
}

BusUnderTest makeBus(boost::asio::any_io_executor ex, RedisOptions opts) {
  if (opts.url.empty()) return {};
  auto stats = opts.stats;
  BusUnderTest b{makeRedisBus(std::move(ex), std::move(opts))};
  b.settle = [stats] {
    EXPECT_TRUE(eventually([&] { return settled(*stats); })) << "the Redis bus did not settle";
  };
  return b;
}

BusUnderTest makeFreshBus(boost::asio::any_io_executor ex) {
  return makeBus(std::move(ex), test::testOptions());
}

BusUnderTest makeFreshClusterBus(boost::asio::any_io_executor ex) {
  return makeBus(std::move(ex), test::testOptions(/*cluster=*/true));
}

INSTANTIATE_TEST_SUITE_P(Redis, BusContract, ::testing::Values(makeFreshBus));
// The same contract on the Redis Cluster (3 masters, 3 replicas).
INSTANTIATE_TEST_SUITE_P(RedisCluster, BusContract, ::testing::Values(makeFreshClusterBus));

// Two "nodes" on one Redis, with the executor run by two threads.
class RedisBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(test::redisUrl().empty());
    for (int i = 0; i < 2; ++i) runners_.emplace_back([this] { ioc_.run(); });
  }
  void TearDown() override {
    buses_.clear();
    work_.reset();
    for (auto& t : runners_) t.join();
  }

  Bus& newBus(const RedisOptions& opts, Recorder** rec) {
    buses_.push_back(makeBus(ioc_.get_executor(), opts));
    recorders_.emplace_back();
    recorders_.back().attach(*buses_.back().bus);
    *rec = &recorders_.back();
    return *buses_.back().bus;
  }
  void settle() {
    for (auto& b : buses_) b.settle();
  }

  test::RedisEnv env_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::vector<std::thread> runners_;
  std::deque<Recorder> recorders_;
  std::vector<BusUnderTest> buses_;
};

TEST_F(RedisBusTest, TwoNodesDeliverToEachOther) {
  RedisOptions a_opts = test::testOptions();
  RedisOptions b_opts = test::testOptions();
  b_opts.key_prefix = a_opts.key_prefix;  // one deployment
  Recorder* a_rec = nullptr;
  Recorder* b_rec = nullptr;
  Bus& a = newBus(a_opts, &a_rec);
  Bus& b = newBus(b_opts, &b_rec);
  a.subscribe("room:1");
  b.subscribe("room:1");
  b.subscribe("room:2");
  settle();

  bus_contract::publish(a, "room:1", "from a");
  bus_contract::publish(b, "room:1", "from b");
  bus_contract::publish(a, "room:2", "only b");
  ASSERT_TRUE(a_rec->waitForBody("room:1", "from a"));
  ASSERT_TRUE(a_rec->waitForBody("room:1", "from b"));
  ASSERT_TRUE(b_rec->waitForBody("room:1", "from a"));
  ASSERT_TRUE(b_rec->waitForBody("room:1", "from b"));
  ASSERT_TRUE(b_rec->waitForBody("room:2", "only b"));
  EXPECT_TRUE(a_rec->bodies("room:2").empty());
}

TEST_F(RedisBusTest, DeploymentsWithOtherPrefixesDoNotHearEachOther) {
  Recorder* a_rec = nullptr;
  Recorder* b_rec = nullptr;
  Bus& a = newBus(test::testOptions(), &a_rec);
  Bus& b = newBus(test::testOptions(), &b_rec);
  a.subscribe("t");
  b.subscribe("t");
  settle();
  bus_contract::publish(a, "t", "a");
  bus_contract::publish(b, "t", "b");
  ASSERT_TRUE(a_rec->waitForBody("t", "a"));
  ASSERT_TRUE(b_rec->waitForBody("t", "b"));
  EXPECT_EQ(a_rec->bodies("t"), std::vector<std::string>{"a"});
  EXPECT_EQ(b_rec->bodies("t"), std::vector<std::string>{"b"});
}

TEST_F(RedisBusTest, ResubscribesAfterTheSubscriberConnectionIsLost) {
  RedisOptions opts = test::testOptions();
  Recorder* rec = nullptr;
  Bus& bus = newBus(opts, &rec);
  bus.subscribe("room:1");
  bus.subscribe("room:2");
  settle();
  bus_contract::publish(bus, "room:1", "before");
  ASSERT_TRUE(rec->waitForBody("room:1", "before"));
  EXPECT_EQ(rec->resubscribed(), 0);

  env_.killClient(opts.client_name, "bus-subscriber");
  ASSERT_TRUE(rec->waitForResubscribed(1)) << "on_resubscribed was not called";
  EXPECT_GE(opts.stats->reconnects.load(), 1u);
  // on_resubscribed comes after Redis confirmed every topic: publishes now arrive.
  bus_contract::publish(bus, "room:1", "after");
  bus_contract::publish(bus, "room:2", "after");
  ASSERT_TRUE(rec->waitForBody("room:1", "after"));
  ASSERT_TRUE(rec->waitForBody("room:2", "after"));
  EXPECT_EQ(rec->resubscribed(), 1);
}

TEST_F(RedisBusTest, PublisherComesBackAfterItsConnectionIsLost) {
  RedisOptions opts = test::testOptions();
  Recorder* rec = nullptr;
  Bus& bus = newBus(opts, &rec);
  bus.subscribe("t");
  settle();
  env_.killClient(opts.client_name, "bus-publisher");
  ASSERT_TRUE(eventually([&] { return opts.stats->reconnects.load() >= 1; }));
  settle();
  bus_contract::publish(bus, "t", "after");
  ASSERT_TRUE(rec->waitForBody("t", "after"));
  EXPECT_EQ(rec->resubscribed(), 0);  // the subscription itself was never interrupted
}

TEST_F(RedisBusTest, PublishWhileDisconnectedIsDroppedAndCounted) {
  RedisOptions opts = test::testOptions();
  opts.url = test::closedPortUrl();
  Recorder* rec = nullptr;
  Bus& bus = newBus(opts, &rec);
  bus.subscribe("t");
  bus_contract::publish(bus, "t", "lost");
  bus_contract::publish(bus, "t", "lost too");
  ASSERT_TRUE(eventually([&] { return opts.stats->publish_dropped.load() == 2; }));
  EXPECT_EQ(opts.stats->published.load(), 0u);
  EXPECT_EQ(opts.stats->subscriber_up.load(), 0);
}

TEST(RedisBus, RejectsAMalformedUrl) {
  boost::asio::io_context ioc;
  RedisOptions opts;
  opts.url = "http://127.0.0.1:6379";
  EXPECT_THROW(makeRedisBus(ioc.get_executor(), opts), ErrorException);
}

// The old owner of a subscribed channel's slot pushes "sunsubscribe" when the slot moves.
TEST(RedisClusterMigration, BusResubscribesAtTheNewOwnerAndAsksForABackfill) {
  test::RedisEnv env;
  test::ClusterAdmin admin(env);
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  {
    RedisOptions opts = test::testOptions(/*cluster=*/true);
    auto stats = opts.stats;
    BusPtr bus = makeRedisBus(ioc.get_executor(), opts);
    bus_contract::Recorder rec;
    rec.attach(*bus);
    bus->subscribe("room:7");
    ASSERT_TRUE(eventually([&] {
      return stats->subscriber_up.load() == 1 && stats->unconfirmed_subscriptions.load() == 0;
    }));
    bus_contract::publish(*bus, "room:7", "before");
    ASSERT_TRUE(rec.waitForBody("room:7", "before"));

    const std::uint16_t slot = keySlot(opts.key_prefix + "room:7");
    const std::string to = admin.otherMaster(admin.owner(slot));
    admin.beginMove(slot, to);
    admin.finishMove(slot, to);
    ASSERT_TRUE(rec.waitForResubscribed(1)) << "no backfill was asked for";
    EXPECT_GE(stats->slot_moves_seen.load(), 1u);
    bus_contract::publish(*bus, "room:7", "after");
    ASSERT_TRUE(rec.waitForBody("room:7", "after"));
  }
  work.reset();
  runner.join();
}

}  // namespace
}  // namespace parley::redis
