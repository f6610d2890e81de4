#include "service/page_cache.h"

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace parley {
namespace {

std::string page(char c, std::size_t n = 1000) { return std::string(n, c); }

TEST(PageCacheTest, ServesOnlyThePageReadAtTheSameLastSeqAndLimit) {
  PageCache cache(1 << 20);
  EXPECT_EQ(cache.find(1, 50, 7), nullptr);
  auto kept = cache.put(1, 50, 7, page('a'));
  ASSERT_NE(kept, nullptr);
  auto hit = cache.find(1, 50, 7);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, page('a'));
  EXPECT_EQ(hit, kept);                      // the same bytes, not a copy
  EXPECT_EQ(cache.find(1, 50, 8), nullptr);  // the room moved on
  EXPECT_EQ(cache.find(1, 20, 7), nullptr);  // another page size
  EXPECT_EQ(cache.find(2, 50, 7), nullptr);  // another room
}

TEST(PageCacheTest, APageReadEarlierNeverReplacesOneReadLater) {
  PageCache cache(1 << 20);
  cache.put(1, 50, 9, page('n'));
  auto late = cache.put(1, 50, 8, page('o'));  // a slow reader that saw seq 8
  EXPECT_EQ(*late, page('o'));                 // it still answers its own reader
  EXPECT_EQ(cache.find(1, 50, 8), nullptr);
  ASSERT_NE(cache.find(1, 50, 9), nullptr);
  EXPECT_EQ(*cache.find(1, 50, 9), page('n'));
  cache.put(1, 50, 10, page('x'));
  EXPECT_EQ(cache.find(1, 50, 9), nullptr);
  EXPECT_EQ(*cache.find(1, 50, 10), page('x'));
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(PageCacheTest, StaysWithinItsBytesDroppingTheLeastRecentlyUsed) {
  const std::size_t one = PageCache::cost(1000);
  PageCache cache(3 * one);
  cache.put(1, 50, 1, page('1'));
  cache.put(2, 50, 1, page('2'));
  cache.put(3, 50, 1, page('3'));
  EXPECT_EQ(cache.bytes(), 3 * one);
  ASSERT_NE(cache.find(1, 50, 1), nullptr);  // room 1 is now the most recently used
  cache.put(4, 50, 1, page('4'));
  EXPECT_EQ(cache.bytes(), 3 * one);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_NE(cache.find(1, 50, 1), nullptr);
  EXPECT_EQ(cache.find(2, 50, 1), nullptr);  // the least recently used went
  EXPECT_NE(cache.find(3, 50, 1), nullptr);
  EXPECT_NE(cache.find(4, 50, 1), nullptr);
  for (RoomId r = 10; r < 100; ++r) cache.put(r, 50, 1, page('z'));
  EXPECT_LE(cache.bytes(), 3 * one);
  EXPECT_EQ(cache.entries(), 3u);
}

TEST(PageCacheTest, APageLargerThanTheBoundIsAnsweredButNotKept) {
  PageCache cache(PageCache::cost(1000));
  auto big = cache.put(1, 50, 1, page('b', 1001));
  EXPECT_EQ(big->size(), 1001u);
  EXPECT_EQ(cache.find(1, 50, 1), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
  PageCache none(0);
  none.put(1, 50, 1, page('c', 1));
  EXPECT_EQ(none.entries(), 0u);
}

TEST(PageCacheTest, DropRoomAndClearForgetPagesButNotAnswersInFlight) {
  PageCache cache(1 << 20);
  cache.put(1, 50, 3, page('a'));
  cache.put(2, 50, 3, page('b'));
  auto in_flight = cache.find(1, 50, 3);
  cache.dropRoom(1);
  EXPECT_EQ(cache.find(1, 50, 3), nullptr);
  EXPECT_NE(cache.find(2, 50, 3), nullptr);
  EXPECT_EQ(*in_flight, page('a'));  // a response still being written keeps its bytes
  EXPECT_EQ(cache.bytes(), PageCache::cost(1000));
  cache.clear();
  EXPECT_EQ(cache.find(2, 50, 3), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(PageCacheTest, TheBytesGaugeFollowsEveryCache) {
  const auto before = metrics().history_page_bytes.value();
  {
    PageCache cache(1 << 20);
    cache.put(1, 50, 1, page('a'));
    cache.put(2, 50, 1, page('b'));
    EXPECT_EQ(metrics().history_page_bytes.value(),
              before + 2 * static_cast<std::int64_t>(PageCache::cost(1000)));
    cache.dropRoom(1);
    EXPECT_EQ(metrics().history_page_bytes.value(),
              before + static_cast<std::int64_t>(PageCache::cost(1000)));
  }
  EXPECT_EQ(metrics().history_page_bytes.value(), before);  // destroyed: nothing held
}

}  // namespace
}  // namespace parley
