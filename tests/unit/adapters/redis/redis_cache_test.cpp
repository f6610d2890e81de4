#include "adapters/redis/redis_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/cache_scripts.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/redis_cluster_admin.h"
#include "adapters/redis/redis_test_env.h"
#include "adapters/redis/script.h"
#include "ports/cache_contract.h"

namespace parley::redis {
namespace {

using cache_contract::await;
using cache_contract::CacheContract;
using cache_contract::event;
using cache_contract::events;
using cache_contract::kRoom;
using cache_contract::seqs;
using cache_contract::Seqs;
using test::eventually;

CachePtr makeFreshCache(boost::asio::any_io_executor ex, cache_contract::CacheParams params) {
  RedisOptions opts = test::testOptions();
  if (opts.url.empty()) return nullptr;
  opts.events_per_room = params.events_per_room;
  return makeRedisCache(std::move(ex), std::move(opts));
}

CachePtr makeFreshClusterCache(boost::asio::any_io_executor ex,
                               cache_contract::CacheParams params) {
  RedisOptions opts = test::testOptions(/*cluster=*/true);
  if (opts.url.empty()) return nullptr;
  opts.events_per_room = params.events_per_room;
  return makeRedisCache(std::move(ex), std::move(opts));
}

INSTANTIATE_TEST_SUITE_P(Redis, CacheContract, ::testing::Values(makeFreshCache));
// The same contract on the Redis Cluster (3 masters, 3 replicas).
INSTANTIATE_TEST_SUITE_P(RedisCluster, CacheContract, ::testing::Values(makeFreshClusterCache));

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(test::redisUrl().empty()); }

  // The room's hash as Redis holds it must be one contiguous run within capacity.
  void expectRunShape(const RedisOptions& opts, RoomId room, std::size_t capacity) {
    Reply all = env_.command({"HGETALL", opts.key_prefix + "ev:{" + std::to_string(room) + "}"});
    if (all.elements.empty()) return;  // no run: a miss, always fine
    std::map<std::string, std::string> fields;
    for (std::size_t i = 0; i + 1 < all.elements.size(); i += 2) {
      fields[all.elements[i].str] = all.elements[i + 1].str;
    }
    ASSERT_TRUE(fields.contains("f") && fields.contains("l"));
    const Seq first = std::stoll(fields["f"]);
    const Seq last = std::stoll(fields["l"]);
    ASSERT_LE(first, last);
    EXPECT_LE(static_cast<std::size_t>(last - first + 1), capacity);
    EXPECT_EQ(fields.size(), static_cast<std::size_t>(last - first + 1 + 2));
    for (Seq s = first; s <= last; ++s) EXPECT_TRUE(fields.contains(std::to_string(s))) << s;
  }

  test::RedisEnv env_;
};

TEST_F(RedisCacheTest, NodesShareOneCache) {
  RedisOptions opts = test::testOptions();
  CachePtr a = makeRedisCache(env_.executor(), opts);
  CachePtr b = makeRedisCache(env_.executor(), opts);
  await(a->fill(kRoom, events(1, 3)));
  EXPECT_EQ(seqs(*b, 0), (Seqs{1, 2, 3}));
  await(b->appendEvent(event(4)));
  EXPECT_EQ(seqs(*a, 2), (Seqs{3, 4}));
  await(a->putSession("h", {}, 60'000));
  EXPECT_TRUE(await(b->session("h")));
  EXPECT_TRUE(await(b->hit("k", 1, 60'000, 0)).allowed);
  EXPECT_FALSE(await(a->hit("k", 1, 60'000, 1)).allowed);  // one window for both nodes
  EXPECT_GE(opts.stats->cache_hits.load(), 3u);
}

// The Store commits seqs in order, but the nodes' appends race to Redis: whatever order
// they land in, the run Redis holds stays contiguous, and the next append is served.
TEST_F(RedisCacheTest, ConcurrentAppendsFromTwoNodesKeepTheRunContiguous) {
  constexpr Seq kLast = 300;
  constexpr std::size_t kCapacity = 16;
  RedisOptions opts = test::testOptions();
  opts.events_per_room = kCapacity;
  CachePtr a = makeRedisCache(env_.executor(), opts);
  CachePtr b = makeRedisCache(env_.executor(), opts);
  std::atomic<Seq> committed{0};
  std::atomic<int> hits{0};
  auto node = [&](Cache& c, Seq parity) {
    for (Seq s = 1; s <= kLast; ++s) {
      if (s % 2 != parity) continue;
      while (committed.load() != s - 1) std::this_thread::yield();  // the Store's order
      committed.store(s);
      await(c.appendEvent(event(s)));
      if (auto got = await(c.recentEvents(kRoom, s - 3, 100))) {
        ++hits;
        for (std::size_t i = 0; i < got->size(); ++i) EXPECT_EQ((*got)[i].seq, s - 2 + Seq(i));
      }
    }
  };
  std::thread ta(node, std::ref(*a), 1);
  std::thread tb(node, std::ref(*b), 0);
  ta.join();
  tb.join();
  expectRunShape(opts, kRoom, kCapacity);

  // A late append may have left a run that kLast + 1 does not follow (then it is dropped);
  // either way the append after that is served.
  await(a->appendEvent(event(kLast + 1)));
  const auto after_last = seqs(*b, kLast);
  EXPECT_TRUE(!after_last || *after_last == Seqs{kLast + 1});
  await(b->appendEvent(event(kLast + 2)));
  EXPECT_EQ(seqs(*a, kLast + 1), (Seqs{kLast + 2}));
  expectRunShape(opts, kRoom, kCapacity);
  EXPECT_GT(hits.load(), 0);
}

TEST_F(RedisCacheTest, RoomsExpireWhenUnused) {
  RedisOptions opts = test::testOptions();
  opts.event_ttl_ms = 60'000;
  CachePtr c = makeRedisCache(env_.executor(), opts);
  await(c->fill(kRoom, events(1, 2)));
  const std::string key = opts.key_prefix + "ev:{" + std::to_string(kRoom) + "}";
  const long long ttl = env_.command({"PTTL", key}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 60'000);
}

TEST_F(RedisCacheTest, PresenceKeysExpireInRedis) {
  RedisOptions opts = test::testOptions();
  opts.presence_slack_ms = 0;
  CachePtr c = makeRedisCache(env_.executor(), opts);
  const Millis now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  await(c->presenceLease("node-a", {9}, 50, now));
  const std::string key = opts.key_prefix + "p:9";
  // Redis drops the key by itself once the lease ends: a dead node leaves nothing behind.
  EXPECT_TRUE(eventually([&] { return env_.command({"EXISTS", key}).integer == 0; }));
  EXPECT_EQ(await(c->onlineAmong({9}, now)), std::vector<UserId>{});
}

TEST_F(RedisCacheTest, ScriptsAreReloadedAfterAScriptFlush) {
  Script append(scripts::kAppend);
  EXPECT_EQ(env_.command({"SCRIPT", "LOAD", append.source()}).str, append.sha());

  RedisOptions opts = test::testOptions();
  CachePtr c = makeRedisCache(env_.executor(), opts);
  await(c->fill(kRoom, events(1, 2)));
  env_.command({"SCRIPT", "FLUSH"});  // NOSCRIPT for the next EVALSHA of every script
  await(c->appendEvent(event(3)));
  EXPECT_EQ(seqs(*c, 0), (Seqs{1, 2, 3}));
  EXPECT_TRUE(await(c->hit("k", 1, 1000, 0)).allowed);
  EXPECT_EQ(opts.stats->cache_errors.load(), 0u);
}

// Without Redis every method still answers, by its documented policy.
TEST_F(RedisCacheTest, AnOutageFailsOpenOrMisses) {
  RedisOptions opts = test::testOptions();
  opts.url = test::closedPortUrl();
  CachePtr c = makeRedisCache(env_.executor(), opts);
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
  await(c->appendEvent(event(1)));
  await(c->fill(kRoom, events(1, 2)));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
  EXPECT_TRUE(await(c->hit("k", 0, 1000, 0)).allowed);  // would be denied: fails open
  EXPECT_EQ(await(c->session("h")), std::nullopt);
  await(c->putSession("h", {}, 1000));
  await(c->dropSession("h"));
  await(c->presenceLease("n", {1}, 1000, 0));
  EXPECT_EQ(await(c->onlineAmong({1}, 0)), std::vector<UserId>{});
  EXPECT_EQ(opts.stats->rate_fail_open.load(), 1u);
  EXPECT_GE(opts.stats->cache_errors.load(), 6u);
  EXPECT_EQ(opts.stats->cache_hits.load(), 0u);
}

// A key migrated mid-way answers ASK at its old owner; a slot handed over answers MOVED.
TEST(RedisClusterMigration, CacheFollowsAskWhileASlotMovesAndMovedAfter) {
  test::RedisEnv env;
  test::ClusterAdmin admin(env);
  RedisOptions opts = test::testOptions(/*cluster=*/true);
  CachePtr cache = makeRedisCache(env.executor(), opts);
  const RoomId room = 4242;
  const std::uint16_t slot = keySlot(std::to_string(room));  // the key's hash tag
  await(cache->fill(room, events(1, 3, room)));
  ASSERT_EQ(seqs(*cache, 0, 1000, room), (Seqs{1, 2, 3}));

  const std::string to = admin.otherMaster(admin.owner(slot));
  admin.beginMove(slot, to);  // the run now lives at `to`; the old owner answers ASK
  EXPECT_EQ(seqs(*cache, 1, 1000, room), (Seqs{2, 3}));
  await(cache->appendEvent(event(4, room)));
  const auto asks = opts.stats->redirects.load();
  EXPECT_GE(asks, 2u);

  admin.finishMove(slot, to);  // the old owner now answers MOVED
  EXPECT_EQ(seqs(*cache, 0, 1000, room), (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(opts.stats->cache_errors.load(), 0u);
  EXPECT_EQ(opts.stats->redirects_refused.load(), 0u);
}

// Rooms whose runs share a slot (ids picked to collide, as an attacker who could choose
// room ids would) live side by side on one master: neither sees, drops or shortens the
// other's run, and a caller's key holding a hash tag lands elsewhere.
TEST(RedisClusterCache, RoomsSharingASlotStayApart) {
  test::RedisEnv env;
  RedisOptions opts = test::testOptions(/*cluster=*/true);
  CachePtr cache = makeRedisCache(env.executor(), opts);
  const RoomId a = 1;
  RoomId b = 2;
  while (keySlot(std::to_string(b)) != keySlot(std::to_string(a))) ++b;
  await(cache->fill(a, events(1, 5, a)));
  await(cache->fill(b, events(1, 2, b)));
  await(cache->appendEvent(event(3, b)));
  await(cache->appendEvent(event(7, a)));  // a gap in a: only a's run is dropped
  EXPECT_EQ(seqs(*cache, 0, 1000, b), (Seqs{1, 2, 3}));
  EXPECT_FALSE(seqs(*cache, 0, 1000, a));
  await(cache->fill(a, events(1, 7, a)));
  EXPECT_EQ(seqs(*cache, 5, 1000, a), (Seqs{6, 7}));
  EXPECT_TRUE(await(cache->hit("{" + std::to_string(a) + "}", 1, 60'000, 0)).allowed);
  EXPECT_EQ(seqs(*cache, 0, 1000, b), (Seqs{1, 2, 3}));
  EXPECT_EQ(opts.stats->cache_errors.load(), 0u);
}

}  // namespace
}  // namespace parley::redis
