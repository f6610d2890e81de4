#include "adapters/memory/memory_cache.h"

#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "ports/cache_contract.h"

namespace parley::memory {
namespace {

using cache_contract::await;
using cache_contract::CacheContract;
using cache_contract::event;
using cache_contract::events;
using cache_contract::seqs;
using cache_contract::Seqs;

CachePtr makeFreshCache(boost::asio::any_io_executor, cache_contract::CacheParams params) {
  return makeMemoryCache({.events_per_room = params.events_per_room});
}

INSTANTIATE_TEST_SUITE_P(Memory, CacheContract, ::testing::Values(makeFreshCache));

// Beyond the contract: the in-process bounds on rooms and rate-limit keys.

TEST(MemoryCache, EvictsTheLeastRecentlyUsedRoom) {
  CachePtr c = makeMemoryCache({.max_rooms = 2});
  await(c->fill(1, events(1, 2, 1)));
  await(c->fill(2, events(1, 2, 2)));
  EXPECT_TRUE(seqs(*c, 0, 10, 1));  // room 1 is now the most recent
  await(c->fill(3, events(1, 2, 3)));
  EXPECT_EQ(seqs(*c, 0, 10, 2), std::nullopt);
  EXPECT_EQ(seqs(*c, 0, 10, 1), (Seqs{1, 2}));
  EXPECT_EQ(seqs(*c, 0, 10, 3), (Seqs{1, 2}));

  await(c->appendEvent(event(1, 4)));  // room 1 was read before room 3: it goes
  EXPECT_EQ(seqs(*c, 0, 10, 1), std::nullopt);
  EXPECT_EQ(seqs(*c, 0, 10, 3), (Seqs{1, 2}));
  EXPECT_EQ(seqs(*c, 0, 10, 4), (Seqs{1}));
}

TEST(MemoryCache, ZeroRoomsCachesNothing) {
  CachePtr c = makeMemoryCache({.max_rooms = 0});
  await(c->fill(7, events(1, 3)));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
}

TEST(MemoryCache, RateLimitKeysAreBounded) {
  CachePtr c = makeMemoryCache({.max_rate_keys = 2});
  EXPECT_TRUE(await(c->hit("a", 1, 100, 1'000)).allowed);     // window ends 1'100
  EXPECT_TRUE(await(c->hit("b", 1, 10'000, 1'000)).allowed);  // window ends 10'000
  // At 1'200 a's window has ended and is dropped, so c fits and b keeps its count.
  EXPECT_TRUE(await(c->hit("c", 1, 10'000, 1'200)).allowed);
  EXPECT_FALSE(await(c->hit("b", 1, 10'000, 1'300)).allowed);
  // Full with live windows: the one closest to its end (b, ties broken by age) is forgotten.
  EXPECT_TRUE(await(c->hit("d", 1, 100'000, 1'400)).allowed);
  EXPECT_TRUE(await(c->hit("b", 1, 10'000, 1'500)).allowed);  // counting restarts
}

}  // namespace
}  // namespace parley::memory
