#include "adapters/memory/memory_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace parley::memory {
namespace {

// Runs one coroutine to completion on a private io_context.
template <class T>
T await(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto done = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.run();
  return done.get();
}

constexpr RoomId kRoom = 7;

StoredEvent event(Seq seq, RoomId room = kRoom) {
  StoredEvent e;
  e.room_id = room;
  e.seq = seq;
  e.event_id = "e" + std::to_string(seq);
  e.sealed_body = "sealed-" + std::to_string(seq);
  return e;
}

std::vector<StoredEvent> events(Seq first, Seq last, RoomId room = kRoom) {
  std::vector<StoredEvent> out;
  for (Seq s = first; s <= last; ++s) out.push_back(event(s, room));
  return out;
}

// The seqs of a hit; a miss is nullopt.
std::optional<std::vector<Seq>> seqs(Cache& c, Seq after, int limit = 1000, RoomId room = kRoom) {
  auto got = await(c.recentEvents(room, after, limit));
  if (!got) return std::nullopt;
  std::vector<Seq> out;
  for (const auto& e : *got) {
    EXPECT_EQ(e.room_id, room);
    out.push_back(e.seq);
  }
  return out;
}

using Seqs = std::vector<Seq>;

TEST(MemoryCache, UncachedRoomMisses) {
  CachePtr c = makeMemoryCache();
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
}

TEST(MemoryCache, HitOnlyWhenEveryEventAfterIsHeld) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(5, 10)));
  EXPECT_EQ(seqs(*c, 3), std::nullopt);  // seq 4 is not held
  EXPECT_EQ(seqs(*c, 4), (Seqs{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(seqs(*c, 7), (Seqs{8, 9, 10}));
  EXPECT_EQ(seqs(*c, 10), Seqs{});
  EXPECT_EQ(seqs(*c, 12), Seqs{});
  EXPECT_EQ(seqs(*c, kSeqMax), Seqs{});
  EXPECT_EQ(seqs(*c, 4, 2), (Seqs{5, 6}));
  EXPECT_EQ(seqs(*c, 4, 0), Seqs{});
  EXPECT_EQ(seqs(*c, 0, 1000, kRoom + 1), std::nullopt);
}

TEST(MemoryCache, ReturnsTheStoredEventsUnchanged) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 2)));
  auto got = await(c->recentEvents(kRoom, 1, 10));
  ASSERT_TRUE(got && got->size() == 1);
  EXPECT_EQ((*got)[0].event_id, "e2");
  EXPECT_EQ((*got)[0].sealed_body, "sealed-2");
}

TEST(MemoryCache, AppendExtendsAContiguousRun) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  await(c->appendEvent(event(4)));
  await(c->appendEvent(event(5)));
  EXPECT_EQ(seqs(*c, 0), (Seqs{1, 2, 3, 4, 5}));
}

TEST(MemoryCache, AppendWithAGapDropsTheRoom) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  await(c->appendEvent(event(5)));
  EXPECT_EQ(seqs(*c, 3), std::nullopt);
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
  EXPECT_EQ(seqs(*c, 5), std::nullopt);
}

TEST(MemoryCache, AppendOfARepeatDropsTheRoom) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  await(c->appendEvent(event(3)));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
}

TEST(MemoryCache, AppendToAnUncachedRoomStartsARun) {
  CachePtr c = makeMemoryCache();
  await(c->appendEvent(event(7)));
  EXPECT_EQ(seqs(*c, 6), (Seqs{7}));
  EXPECT_EQ(seqs(*c, 5), std::nullopt);
}

TEST(MemoryCache, KeepsOnlyTheNewestEventsPerRoom) {
  CachePtr c = makeMemoryCache({.events_per_room = 3});
  await(c->fill(kRoom, events(1, 5)));
  EXPECT_EQ(seqs(*c, 2), (Seqs{3, 4, 5}));
  EXPECT_EQ(seqs(*c, 1), std::nullopt);
  await(c->appendEvent(event(6)));
  EXPECT_EQ(seqs(*c, 3), (Seqs{4, 5, 6}));
  EXPECT_EQ(seqs(*c, 2), std::nullopt);
}

TEST(MemoryCache, ReplaceEventSwapsTheCachedCopyOnly) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  StoredEvent deleted = event(2);
  deleted.deleted = true;
  deleted.sealed_body.clear();
  await(c->replaceEvent(deleted));
  await(c->replaceEvent(event(9)));             // not cached: ignored
  await(c->replaceEvent(event(1, kRoom + 1)));  // room not cached: stays a miss

  auto got = await(c->recentEvents(kRoom, 0, 10));
  ASSERT_TRUE(got && got->size() == 3);
  EXPECT_FALSE((*got)[0].deleted);
  EXPECT_TRUE((*got)[1].deleted);
  EXPECT_EQ((*got)[1].sealed_body, "");
  EXPECT_EQ((*got)[2].seq, 3);
  EXPECT_EQ(seqs(*c, 0, 10, kRoom + 1), std::nullopt);
}

TEST(MemoryCache, FillReplacesAnOlderRun) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  await(c->fill(kRoom, events(10, 12)));
  EXPECT_EQ(seqs(*c, 9), (Seqs{10, 11, 12}));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
}

// A read of the Store that finished after newer events were appended must not hide them.
TEST(MemoryCache, FillNeverHidesNewerAppends) {
  CachePtr c = makeMemoryCache();
  await(c->appendEvent(event(5)));
  await(c->appendEvent(event(6)));
  await(c->fill(kRoom, events(1, 5)));  // joins up: prepended
  EXPECT_EQ(seqs(*c, 0), (Seqs{1, 2, 3, 4, 5, 6}));

  await(c->fill(kRoom, events(20, 22)));
  await(c->appendEvent(event(23)));
  await(c->fill(kRoom, events(1, 3)));  // a gap before the run: ignored
  EXPECT_EQ(seqs(*c, 19), (Seqs{20, 21, 22, 23}));
  EXPECT_EQ(seqs(*c, 3), std::nullopt);
}

TEST(MemoryCache, EmptyOrBrokenFillDropsTheRoom) {
  CachePtr c = makeMemoryCache();
  await(c->fill(kRoom, events(1, 3)));
  await(c->fill(kRoom, {}));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);

  await(c->fill(kRoom, events(1, 3)));
  std::vector<StoredEvent> gap = {event(4), event(6)};
  await(c->fill(kRoom, gap));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);

  await(c->fill(kRoom, events(1, 3, kRoom + 1)));  // events of another room
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
}

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

TEST(MemoryCache, ZeroCapacityCachesNothing) {
  CachePtr c = makeMemoryCache({.events_per_room = 0});
  await(c->fill(kRoom, events(1, 3)));
  await(c->appendEvent(event(4)));
  EXPECT_EQ(seqs(*c, 0), std::nullopt);
  EXPECT_EQ(seqs(*c, 4), std::nullopt);
}

TEST(MemoryCache, RateLimitAllowsUpToLimitPerFixedWindow) {
  CachePtr c = makeMemoryCache();
  // Window of 1000 ms containing 10'500 is [10'000, 11'000).
  EXPECT_TRUE(await(c->hit("login:ip", 3, 1000, 10'500)).allowed);
  EXPECT_TRUE(await(c->hit("login:ip", 3, 1000, 10'600)).allowed);
  EXPECT_TRUE(await(c->hit("login:ip", 3, 1000, 10'700)).allowed);
  RateDecision denied = await(c->hit("login:ip", 3, 1000, 10'800));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ms, 200);
  EXPECT_EQ(await(c->hit("login:ip", 3, 1000, 10'999)).retry_after_ms, 1);

  EXPECT_TRUE(await(c->hit("other", 3, 1000, 10'999)).allowed);  // keys are independent

  RateDecision next = await(c->hit("login:ip", 3, 1000, 11'000));  // a new window
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.retry_after_ms, 0);
  EXPECT_TRUE(await(c->hit("login:ip", 3, 1000, 11'001)).allowed);
  EXPECT_TRUE(await(c->hit("login:ip", 3, 1000, 11'002)).allowed);
  EXPECT_EQ(await(c->hit("login:ip", 3, 1000, 11'003)).retry_after_ms, 997);
}

TEST(MemoryCache, RateLimitWindowsAlignToTheirLength) {
  CachePtr c = makeMemoryCache();
  // A first hit late in a window still ends at the window boundary, not now + window_ms.
  EXPECT_TRUE(await(c->hit("k", 1, 60'000, 119'000)).allowed);
  EXPECT_EQ(await(c->hit("k", 1, 60'000, 119'500)).retry_after_ms, 500);
  EXPECT_TRUE(await(c->hit("k", 1, 60'000, 120'000)).allowed);
}

TEST(MemoryCache, RateLimitWithZeroLimitDenies) {
  CachePtr c = makeMemoryCache();
  RateDecision d = await(c->hit("k", 0, 100, 1'050));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 50);
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

// Threads share one key and one event map: the count stays exact and each room's run intact.
TEST(MemoryCache, ConcurrentUseIsSafe) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  CachePtr c = makeMemoryCache();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, room = RoomId{100 + t}] {
      for (Seq s = 1; s <= kEach; ++s) {
        if (await(c->hit("shared", 100, 1000, 5'000)).allowed) ++allowed;
        await(c->appendEvent(event(s, room)));
        EXPECT_TRUE(await(c->recentEvents(room, s - 1, 10)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
  Seqs newest;
  for (Seq s = kEach - 99; s <= kEach; ++s) newest.push_back(s);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seqs(*c, kEach - 100, 1000, 100 + t), newest);
}

}  // namespace
}  // namespace parley::memory
