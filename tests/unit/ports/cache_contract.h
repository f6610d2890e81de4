// The behaviour every Cache adapter must show (src/ports/cache.h), as one
// value-parameterised suite. An adapter's test instantiates it with a factory that builds
// a fresh, empty cache on the executor it is given (run by a background thread) with the
// given capacity:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, CacheContract, ::testing::Values(makeFreshCache));
//
// Each call is awaited on a private io_context, as a caller on another executor would.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ports/cache.h"
#include "support/await.h"

namespace parley::cache_contract {

struct CacheParams {
  std::size_t events_per_room = 100;
};
using CacheFactory = std::function<CachePtr(boost::asio::any_io_executor, CacheParams)>;

using ::parley::testing::await;

inline constexpr RoomId kRoom = 7;

inline StoredEvent event(Seq seq, RoomId room = kRoom) {
  StoredEvent e;
  e.room_id = room;
  e.seq = seq;
  e.event_id = "e" + std::to_string(seq);
  e.sealed_body = "sealed-" + std::to_string(seq);
  return e;
}

inline std::vector<StoredEvent> events(Seq first, Seq last, RoomId room = kRoom) {
  std::vector<StoredEvent> out;
  for (Seq s = first; s <= last; ++s) out.push_back(event(s, room));
  return out;
}

using Seqs = std::vector<Seq>;

// The seqs of a hit; a miss is nullopt.
inline std::optional<Seqs> seqs(Cache& c, Seq after, int limit = 1000, RoomId room = kRoom) {
  auto got = await(c.recentEvents(room, after, limit));
  if (!got) return std::nullopt;
  Seqs out;
  for (const auto& e : *got) {
    EXPECT_EQ(e.room_id, room);
    out.push_back(e.seq);
  }
  return out;
}

// Polls `done` until it holds or a generous deadline passes (for expiry measured by the
// backend's own clock, which a test cannot inject).
inline bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

class CacheContract : public ::testing::TestWithParam<CacheFactory> {
 protected:
  void SetUp() override {
    runner_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    caches_.clear();
    work_.reset();
    runner_.join();
  }

  Cache& cache(CacheParams params = {}) {
    caches_.push_back(GetParam()(ioc_.get_executor(), params));
    EXPECT_TRUE(caches_.back()) << "the factory made no cache";
    return *caches_.back();
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::thread runner_;
  std::vector<CachePtr> caches_;
};

#define PARLEY_CACHE_OR_RETURN(name, ...) \
  Cache& name = cache(__VA_ARGS__);       \
  if (HasFailure()) return

TEST_P(CacheContract, UncachedRoomMisses) {
  PARLEY_CACHE_OR_RETURN(c);
  EXPECT_EQ(seqs(c, 0), std::nullopt);
}

TEST_P(CacheContract, HitOnlyWhenEveryEventAfterIsHeld) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(5, 10)));
  EXPECT_EQ(seqs(c, 3), std::nullopt);  // seq 4 is not held
  EXPECT_EQ(seqs(c, 4), (Seqs{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(seqs(c, 7), (Seqs{8, 9, 10}));
  EXPECT_EQ(seqs(c, 10), Seqs{});
  EXPECT_EQ(seqs(c, 12), Seqs{});
  EXPECT_EQ(seqs(c, kSeqMax), Seqs{});
  EXPECT_EQ(seqs(c, 4, 2), (Seqs{5, 6}));
  EXPECT_EQ(seqs(c, 4, 0), Seqs{});
  EXPECT_EQ(seqs(c, 4, -1), Seqs{});
  EXPECT_EQ(seqs(c, 0, 1000, kRoom + 1), std::nullopt);
}

TEST_P(CacheContract, ReturnsTheStoredEventsUnchanged) {
  PARLEY_CACHE_OR_RETURN(c);
  StoredEvent e = event(2);
  e.event_id = "evt-\x01\x02";
  e.kind = EventKind::edit;
  e.sender = 42;
  e.client_msg_id = "client-1";
  e.reply_to = 1;
  e.target = 1;
  e.created_at = 1'700'000'000'123;
  e.edited_at = 1'700'000'000'456;
  e.deleted = true;
  e.key_version = 4'000'000'000u;
  static constexpr char kSealed[] =
      "\0nonce\r\n\xff\x00"
      "cipher";
  e.sealed_body = std::string(kSealed, sizeof kSealed - 1);
  await(c.fill(kRoom, {event(1), e}));
  auto got = await(c.recentEvents(kRoom, 1, 10));
  ASSERT_TRUE(got && got->size() == 1);
  const StoredEvent& g = (*got)[0];
  EXPECT_EQ(g.room_id, e.room_id);
  EXPECT_EQ(g.seq, e.seq);
  EXPECT_EQ(g.event_id, e.event_id);
  EXPECT_EQ(g.kind, e.kind);
  EXPECT_EQ(g.sender, e.sender);
  EXPECT_EQ(g.client_msg_id, e.client_msg_id);
  EXPECT_EQ(g.reply_to, e.reply_to);
  EXPECT_EQ(g.target, e.target);
  EXPECT_EQ(g.created_at, e.created_at);
  EXPECT_EQ(g.edited_at, e.edited_at);
  EXPECT_EQ(g.deleted, e.deleted);
  EXPECT_EQ(g.key_version, e.key_version);
  EXPECT_EQ(g.sealed_body, e.sealed_body);
}

TEST_P(CacheContract, AppendExtendsAContiguousRun) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  await(c.appendEvent(event(4)));
  await(c.appendEvent(event(5)));
  EXPECT_EQ(seqs(c, 0), (Seqs{1, 2, 3, 4, 5}));
}

TEST_P(CacheContract, AppendWithAGapDropsTheRoom) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  await(c.appendEvent(event(5)));
  EXPECT_EQ(seqs(c, 3), std::nullopt);
  EXPECT_EQ(seqs(c, 0), std::nullopt);
  EXPECT_EQ(seqs(c, 5), std::nullopt);
}

TEST_P(CacheContract, AppendOfARepeatDropsTheRoom) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  await(c.appendEvent(event(3)));
  EXPECT_EQ(seqs(c, 0), std::nullopt);
}

TEST_P(CacheContract, AppendToAnUncachedRoomStartsARun) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.appendEvent(event(7)));
  EXPECT_EQ(seqs(c, 6), (Seqs{7}));
  EXPECT_EQ(seqs(c, 5), std::nullopt);
}

TEST_P(CacheContract, KeepsOnlyTheNewestEventsPerRoom) {
  PARLEY_CACHE_OR_RETURN(c, {.events_per_room = 3});
  await(c.fill(kRoom, events(1, 5)));
  EXPECT_EQ(seqs(c, 2), (Seqs{3, 4, 5}));
  EXPECT_EQ(seqs(c, 1), std::nullopt);
  await(c.appendEvent(event(6)));
  EXPECT_EQ(seqs(c, 3), (Seqs{4, 5, 6}));
  EXPECT_EQ(seqs(c, 2), std::nullopt);
}

TEST_P(CacheContract, ReplaceEventSwapsTheCachedCopyOnly) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  StoredEvent deleted = event(2);
  deleted.deleted = true;
  deleted.sealed_body.clear();
  await(c.replaceEvent(deleted));
  await(c.replaceEvent(event(9)));             // not cached: ignored
  await(c.replaceEvent(event(1, kRoom + 1)));  // room not cached: stays a miss

  auto got = await(c.recentEvents(kRoom, 0, 10));
  ASSERT_TRUE(got && got->size() == 3);
  EXPECT_FALSE((*got)[0].deleted);
  EXPECT_TRUE((*got)[1].deleted);
  EXPECT_EQ((*got)[1].sealed_body, "");
  EXPECT_EQ((*got)[2].seq, 3);
  EXPECT_EQ(seqs(c, 0, 10, kRoom + 1), std::nullopt);
}

TEST_P(CacheContract, FillReplacesAnOlderRun) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  await(c.fill(kRoom, events(10, 12)));
  EXPECT_EQ(seqs(c, 9), (Seqs{10, 11, 12}));
  EXPECT_EQ(seqs(c, 0), std::nullopt);
}

// A read of the Store that finished after newer events were appended must not hide them.
TEST_P(CacheContract, FillNeverHidesNewerAppends) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.appendEvent(event(5)));
  await(c.appendEvent(event(6)));
  await(c.fill(kRoom, events(1, 5)));  // joins up: prepended
  EXPECT_EQ(seqs(c, 0), (Seqs{1, 2, 3, 4, 5, 6}));

  await(c.fill(kRoom, events(20, 22)));
  await(c.appendEvent(event(23)));
  await(c.fill(kRoom, events(1, 3)));  // a gap before the run: ignored
  EXPECT_EQ(seqs(c, 19), (Seqs{20, 21, 22, 23}));
  EXPECT_EQ(seqs(c, 3), std::nullopt);
}

TEST_P(CacheContract, FillPrependsOnlyUpToCapacity) {
  PARLEY_CACHE_OR_RETURN(c, {.events_per_room = 4});
  await(c.appendEvent(event(9)));
  await(c.appendEvent(event(10)));
  await(c.fill(kRoom, events(1, 9)));
  EXPECT_EQ(seqs(c, 6), (Seqs{7, 8, 9, 10}));
  EXPECT_EQ(seqs(c, 5), std::nullopt);
}

TEST_P(CacheContract, EmptyOrBrokenFillDropsTheRoom) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.fill(kRoom, events(1, 3)));
  await(c.fill(kRoom, {}));
  EXPECT_EQ(seqs(c, 0), std::nullopt);

  await(c.fill(kRoom, events(1, 3)));
  std::vector<StoredEvent> gap = {event(4), event(6)};
  await(c.fill(kRoom, gap));
  EXPECT_EQ(seqs(c, 0), std::nullopt);

  await(c.fill(kRoom, events(1, 3, kRoom + 1)));  // events of another room
  EXPECT_EQ(seqs(c, 0), std::nullopt);
}

TEST_P(CacheContract, ZeroCapacityCachesNothing) {
  PARLEY_CACHE_OR_RETURN(c, {.events_per_room = 0});
  await(c.fill(kRoom, events(1, 3)));
  await(c.appendEvent(event(4)));
  EXPECT_EQ(seqs(c, 0), std::nullopt);
  EXPECT_EQ(seqs(c, 4), std::nullopt);
}

TEST_P(CacheContract, RateLimitAllowsUpToLimitPerFixedWindow) {
  PARLEY_CACHE_OR_RETURN(c);
  // Window of 1000 ms containing 10'500 is [10'000, 11'000).
  EXPECT_TRUE(await(c.hit("login:ip", 3, 1000, 10'500)).allowed);
  EXPECT_TRUE(await(c.hit("login:ip", 3, 1000, 10'600)).allowed);
  EXPECT_TRUE(await(c.hit("login:ip", 3, 1000, 10'700)).allowed);
  RateDecision denied = await(c.hit("login:ip", 3, 1000, 10'800));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ms, 200);
  EXPECT_EQ(await(c.hit("login:ip", 3, 1000, 10'999)).retry_after_ms, 1);

  EXPECT_TRUE(await(c.hit("other", 3, 1000, 10'999)).allowed);  // keys are independent

  RateDecision next = await(c.hit("login:ip", 3, 1000, 11'000));  // a new window
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.retry_after_ms, 0);
  EXPECT_TRUE(await(c.hit("login:ip", 3, 1000, 11'001)).allowed);
  EXPECT_TRUE(await(c.hit("login:ip", 3, 1000, 11'002)).allowed);
  EXPECT_EQ(await(c.hit("login:ip", 3, 1000, 11'003)).retry_after_ms, 997);
}

TEST_P(CacheContract, RateLimitWindowsAlignToTheirLength) {
  PARLEY_CACHE_OR_RETURN(c);
  // A first hit late in a window still ends at the window boundary, not now + window_ms.
  EXPECT_TRUE(await(c.hit("k", 1, 60'000, 119'000)).allowed);
  EXPECT_EQ(await(c.hit("k", 1, 60'000, 119'500)).retry_after_ms, 500);
  EXPECT_TRUE(await(c.hit("k", 1, 60'000, 120'000)).allowed);
}

TEST_P(CacheContract, RateLimitWithZeroLimitDenies) {
  PARLEY_CACHE_OR_RETURN(c);
  RateDecision d = await(c.hit("k", 0, 100, 1'050));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 50);
}

TEST_P(CacheContract, ChargeAddsAmountsUpToTheLimitAndRefunds) {
  PARLEY_CACHE_OR_RETURN(c);
  // Window of 1000 ms containing 5'500 is [5'000, 6'000).
  EXPECT_TRUE(await(c.charge("bytes:u", 600, 1000, 1000, 5'500)).allowed);
  RateDecision over = await(c.charge("bytes:u", 500, 1000, 1000, 5'600));
  EXPECT_FALSE(over.allowed);  // 1100 > 1000: refused, and not added
  EXPECT_EQ(over.retry_after_ms, 400);
  EXPECT_TRUE(await(c.charge("bytes:u", 400, 1000, 1000, 5'700)).allowed);  // exactly 1000
  EXPECT_FALSE(await(c.charge("bytes:u", 1, 1000, 1000, 5'700)).allowed);
  EXPECT_TRUE(await(c.charge("bytes:u", -300, 1000, 1000, 5'800)).allowed);  // a refund
  EXPECT_TRUE(await(c.charge("bytes:u", 300, 1000, 1000, 5'800)).allowed);
  EXPECT_FALSE(await(c.charge("bytes:u", 1, 1000, 1000, 5'900)).allowed);
  EXPECT_TRUE(await(c.charge("bytes:u", 1000, 1000, 1000, 6'000)).allowed);  // a new window
  // Refunds never go below zero: 5000 back, then only the limit fits again.
  EXPECT_TRUE(await(c.charge("bytes:v", -5000, 1000, 1000, 6'000)).allowed);
  EXPECT_FALSE(await(c.charge("bytes:v", 1001, 1000, 1000, 6'000)).allowed);
  EXPECT_TRUE(await(c.charge("bytes:v", 1000, 1000, 1000, 6'000)).allowed);
}

inline CachedSession sampleSession(const std::string& token_hash) {
  CachedSession s;
  s.session.id = 11;
  s.session.user_id = 5;
  s.session.token_hash = token_hash;
  s.session.device = "Firefox on Linux";
  s.session.ip = "192.0.2.1";
  s.session.created_at = 1'000;
  s.session.last_seen_at = 2'000;
  s.user.id = 5;
  s.user.username = "alice";
  s.user.created_at = 500;
  s.user.disabled = true;
  s.valid_until = 123'456;
  s.mac = std::string("\x01\x00mac bytes\xfe", 12);
  return s;
}

TEST_P(CacheContract, SessionsAreCachedByTokenHashUntilDropped) {
  PARLEY_CACHE_OR_RETURN(c);
  const std::string hash("\x00\xff\x10 binary hash", 16);
  EXPECT_EQ(await(c.session(hash)), std::nullopt);
  await(c.putSession(hash, sampleSession(hash), 60'000));

  auto got = await(c.session(hash));
  ASSERT_TRUE(got);
  const CachedSession want = sampleSession(hash);
  EXPECT_EQ(got->session.id, want.session.id);
  EXPECT_EQ(got->session.user_id, want.session.user_id);
  EXPECT_EQ(got->session.token_hash, hash);
  EXPECT_EQ(got->session.device, want.session.device);
  EXPECT_EQ(got->session.ip, want.session.ip);
  EXPECT_EQ(got->session.created_at, want.session.created_at);
  EXPECT_EQ(got->session.last_seen_at, want.session.last_seen_at);
  EXPECT_EQ(got->user.id, want.user.id);
  EXPECT_EQ(got->user.username, want.user.username);
  EXPECT_EQ(got->user.created_at, want.user.created_at);
  EXPECT_EQ(got->user.disabled, want.user.disabled);
  EXPECT_EQ(got->valid_until, want.valid_until);
  EXPECT_EQ(got->mac, want.mac);  // kept as given, binary included
  EXPECT_EQ(await(c.session(hash + "x")), std::nullopt);

  await(c.dropSession(hash));
  EXPECT_EQ(await(c.session(hash)), std::nullopt);
  await(c.dropSession(hash));  // dropping what is not cached is harmless
}

TEST_P(CacheContract, SessionsExpire) {
  PARLEY_CACHE_OR_RETURN(c);
  await(c.putSession("gone", sampleSession("gone"), 0));
  EXPECT_EQ(await(c.session("gone")), std::nullopt);
  await(c.putSession("brief", sampleSession("brief"), 30));
  EXPECT_TRUE(eventually([&] { return !await(c.session("brief")); }));
}

TEST_P(CacheContract, PresenceLeasesCountUntilTheyEndOrAreReleased) {
  PARLEY_CACHE_OR_RETURN(c);
  constexpr Millis kNow = 1'000'000;
  await(c.presenceLease("node-a", {1, 2}, 60'000, kNow));
  await(c.presenceLease("node-b", {2, 3}, 30'000, kNow));
  EXPECT_EQ(await(c.onlineAmong({1, 2, 3, 4}, kNow + 1)), (std::vector<UserId>{1, 2, 3}));
  EXPECT_EQ(await(c.onlineAmong({}, kNow)), std::vector<UserId>{});

  // node-b's leases end first; user 2 still has node-a's.
  EXPECT_EQ(await(c.onlineAmong({1, 2, 3}, kNow + 30'000)), (std::vector<UserId>{1, 2}));
  EXPECT_EQ(await(c.onlineAmong({1, 2, 3}, kNow + 60'000)), std::vector<UserId>{});

  await(c.presenceRelease("node-a", 2));
  EXPECT_EQ(await(c.onlineAmong({1, 2, 3}, kNow + 1)), (std::vector<UserId>{1, 2, 3}));
  await(c.presenceRelease("node-b", 2));
  EXPECT_EQ(await(c.onlineAmong({1, 2, 3}, kNow + 1)), (std::vector<UserId>{1, 3}));
  await(c.presenceRelease("node-c", 1));  // never leased: harmless
  EXPECT_EQ(await(c.onlineAmong({1}, kNow + 1)), (std::vector<UserId>{1}));
}

TEST_P(CacheContract, PresenceHeartbeatExtendsALease) {
  PARLEY_CACHE_OR_RETURN(c);
  constexpr Millis kNow = 2'000'000;
  await(c.presenceLease("node-a", {7}, 10'000, kNow));
  await(c.presenceLease("node-a", {7}, 10'000, kNow + 9'000));
  EXPECT_EQ(await(c.onlineAmong({7}, kNow + 15'000)), (std::vector<UserId>{7}));
  EXPECT_EQ(await(c.onlineAmong({7}, kNow + 19'000)), std::vector<UserId>{});
}

// Threads share one key and one event map: the count stays exact and each room's run intact.
TEST_P(CacheContract, ConcurrentUseIsSafe) {
  constexpr int kThreads = 4;
  constexpr int kEach = 150;
  PARLEY_CACHE_OR_RETURN(c);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, room = RoomId{100 + t}] {
      for (Seq s = 1; s <= kEach; ++s) {
        if (await(c.hit("shared", 100, 1000, 5'000)).allowed) ++allowed;
        await(c.appendEvent(event(s, room)));
        EXPECT_TRUE(await(c.recentEvents(room, s - 1, 10)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
  Seqs newest;
  for (Seq s = kEach - 99; s <= kEach; ++s) newest.push_back(s);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seqs(c, kEach - 100, 1000, 100 + t), newest);
}

#undef PARLEY_CACHE_OR_RETURN

}  // namespace parley::cache_contract
