// RoomKeys keeps unwrapped data keys in memory, bounded by count and age, so that a
// KeyProvider behind the network (KMS) is called about once per room key, not per message.
#include "service/room_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "core/metrics.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

// The node's real keyring, counting the calls that reach it and failing unwraps on demand.
class CountingKeys final : public KeyProvider {
 public:
  explicit CountingKeys(KeyProvider& inner) : inner_(inner) {}
  Task<Result<std::string>> wrap(std::string key, std::string ctx) override {
    wraps++;
    co_return co_await inner_.wrap(std::move(key), std::move(ctx));
  }
  Task<Result<std::string>> unwrap(std::string blob, std::string ctx) override {
    unwraps++;
    if (fail) co_return makeError(Code::internal, "master key destroyed");
    co_return co_await inner_.unwrap(std::move(blob), std::move(ctx));
  }
  std::atomic<int> wraps{0}, unwraps{0};
  std::atomic<bool> fail{false};

 private:
  KeyProvider& inner_;
};

class RoomKeysTest : public ::testing::Test {
 protected:
  TestNode node;
  User alice = node.user("alice");
  CountingKeys keys{*node.keys};

  // A room whose key (version 1) the node has made and stored.
  RoomId newRoom(const std::string& name) {
    const RoomId id = node.run(node.rooms.create(alice, name, "", false)).value().id;
    node.run(node.room_keys.current(id)).value();
    return id;
  }
};

TEST_F(RoomKeysTest, AKeyIsUnwrappedOnceThenServedFromMemory) {
  const RoomId room = newRoom("one");
  RoomKeys cold(*node.store, keys);  // a node that just started
  const DataKey first = node.run(cold.current(room)).value();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(node.run(cold.current(room)).value().key, first.key);
    EXPECT_EQ(node.run(cold.byVersion(room, first.version)).value().key, first.key);
  }
  EXPECT_EQ(keys.unwraps.load(), 1);
  EXPECT_EQ(cold.unwrapCalls(), 1u);
  EXPECT_EQ(keys.wraps.load(), 0);
  // The same key the node that created the room uses.
  EXPECT_EQ(node.run(node.room_keys.current(room)).value().key, first.key);
}

TEST_F(RoomKeysTest, TheCacheIsBoundedLeastRecentlyUsedFirst) {
  const RoomId a = newRoom("a"), b = newRoom("b"), c = newRoom("c");
  RoomKeys cold(*node.store, keys, RoomKeysOptions{2, std::chrono::hours(1)});
  const std::string ka = node.run(cold.current(a)).value().key;
  node.run(cold.current(b)).value();
  node.run(cold.current(a)).value();  // a is now more recent than b
  node.run(cold.current(c)).value();  // evicts b
  EXPECT_EQ(cold.cachedKeys(), 2u);
  EXPECT_EQ(keys.unwraps.load(), 3);
  node.run(cold.current(a)).value();
  EXPECT_EQ(keys.unwraps.load(), 3) << "a was evicted instead of b";
  EXPECT_FALSE(cold.cachedCurrent(b).has_value());
  EXPECT_EQ(cold.cachedCurrent(a).value().key, ka);
  node.run(cold.byVersion(b, 1)).value();  // b again: unwrapped again, evicts c
  EXPECT_EQ(keys.unwraps.load(), 4);
  EXPECT_EQ(node.run(cold.current(a)).value().key, ka);
  EXPECT_EQ(cold.cachedKeys(), 2u);
}

TEST_F(RoomKeysTest, ExpiredKeysAreUnwrappedAgainSoADestroyedMasterKeyTakesEffect) {
  const RoomId room = newRoom("aging");
  RoomKeys cold(*node.store, keys, RoomKeysOptions{100, std::chrono::milliseconds(0)});
  ASSERT_TRUE(node.run(cold.current(room)));
  EXPECT_FALSE(cold.cachedCurrent(room).has_value());  // already too old
  ASSERT_TRUE(node.run(cold.current(room)));
  EXPECT_EQ(keys.unwraps.load(), 2);
  keys.fail = true;  // the master key is gone: the room stops opening
  auto r = node.run(cold.current(room));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::internal);
  auto old = node.run(cold.byVersion(room, 1));
  ASSERT_FALSE(old);
  // ...and no new key replaced the room's own.
  EXPECT_EQ(node.run(node.store->latestRoomKey(room)).value().version, 1u);
}

TEST_F(RoomKeysTest, KeyServiceCallsAndFailuresAreCountedForMetrics) {
  const RoomId room = newRoom("counted");
  RoomKeys cold(*node.store, keys, RoomKeysOptions{100, std::chrono::milliseconds(0)});
  const std::uint64_t calls = metrics().key_service_calls.value();
  const std::uint64_t failures = metrics().key_service_failures.value();
  ASSERT_TRUE(node.run(cold.current(room)));
  ASSERT_TRUE(node.run(cold.current(room)));  // expired at once: the key service again
  keys.fail = true;
  ASSERT_FALSE(node.run(cold.current(room)));
  EXPECT_EQ(metrics().key_service_calls.value() - calls, 3u);
  EXPECT_EQ(metrics().key_service_failures.value() - failures, 1u);
}

// A KMS that answers only when the test says so: unwraps wait at a gate, counted.
class GatedKeys final : public KeyProvider {
 public:
  explicit GatedKeys(KeyProvider& inner) : inner_(inner) {}
  Task<Result<std::string>> wrap(std::string key, std::string ctx) override {
    co_return co_await inner_.wrap(std::move(key), std::move(ctx));
  }
  Task<Result<std::string>> unwrap(std::string blob, std::string ctx) override {
    unwraps++;
    auto ex = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(
        ex, std::chrono::steady_clock::time_point::max());
    gates.push_back(timer);
    auto [ec] = co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (fail) co_return makeError(Code::unavailable, "kms down");
    co_return co_await inner_.unwrap(std::move(blob), std::move(ctx));
  }
  void open() {
    for (auto& g : gates) g->cancel();
    gates.clear();
  }
  std::atomic<int> unwraps{0};
  bool fail = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> gates;  // the test's thread only

 private:
  KeyProvider& inner_;
};

class SingleFlightTest : public RoomKeysTest {
 protected:
  static constexpr int kReaders = 50;
  GatedKeys gated{*node.keys};

  // Starts kReaders concurrent reads of (room, 1) on a cold RoomKeys, runs until one unwrap is
  // at the KMS's gate and every other reader waits for it (bounded), then opens the gate and
  // runs them all to the end.
  std::vector<Result<DataKey>> readConcurrently(RoomKeys& cold, RoomId room) {
    std::vector<Result<DataKey>> got(kReaders, makeError(Code::internal, "not run"));
    for (int i = 0; i < kReaders; ++i) {
      boost::asio::co_spawn(
          node.ioc,
          [&, i]() -> Task<void> {
            auto r = co_await cold.byVersion(room, 1);
            got[i] = std::move(r);
          },
          boost::asio::detached);
    }
    const int before = gated.unwraps.load();
    node.ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!(gated.unwraps.load() > before && cold.waitingOnUnwrap() == kReaders - 1) &&
           std::chrono::steady_clock::now() < deadline) {
      node.ioc.run_one_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(gated.unwraps.load(), before + 1) << "one unwrap for " << kReaders << " readers";
    EXPECT_EQ(cold.waitingOnUnwrap(), static_cast<std::size_t>(kReaders - 1));
    gated.open();
    node.ioc.run();
    return got;
  }
};

TEST_F(SingleFlightTest, ConcurrentReadersOfAColdKeyCauseOneUnwrap) {
  const RoomId room = newRoom("busy");
  const std::string expected = node.run(node.room_keys.byVersion(room, 1)).value().key;
  RoomKeys cold(*node.store, gated, RoomKeysOptions{4, std::chrono::hours(1)});
  auto got = readConcurrently(cold, room);
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_TRUE(got[i]) << "reader " << i << ": " << got[i].error().message;
    EXPECT_EQ(got[i]->key, expected) << "reader " << i;
  }
  EXPECT_EQ(gated.unwraps.load(), 1);
  EXPECT_EQ(cold.unwrapCalls(), 1u);
  EXPECT_EQ(cold.waitingOnUnwrap(), 0u);
  EXPECT_EQ(cold.cachedKeys(), 1u);
  // Cached now: no further call.
  EXPECT_EQ(node.run(cold.byVersion(room, 1)).value().key, expected);
  EXPECT_EQ(gated.unwraps.load(), 1);
}

TEST_F(SingleFlightTest, AFailedUnwrapIsSharedAndNotCached) {
  const RoomId room = newRoom("down");
  RoomKeys cold(*node.store, gated, RoomKeysOptions{4, std::chrono::hours(1)});
  gated.fail = true;
  auto got = readConcurrently(cold, room);
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_FALSE(got[i]) << "reader " << i;
    EXPECT_EQ(got[i].error().code, Code::unavailable);
  }
  EXPECT_EQ(gated.unwraps.load(), 1);
  EXPECT_EQ(cold.cachedKeys(), 0u);
  // The KMS is back: the next reader starts a new unwrap, which succeeds.
  gated.fail = false;
  auto again = readConcurrently(cold, room);
  for (const auto& r : again) EXPECT_TRUE(r);
  EXPECT_EQ(gated.unwraps.load(), 2);
}

TEST_F(SingleFlightTest, ManyColdRoomsStayWithinTheCacheBound) {
  std::vector<RoomId> rooms;
  for (int i = 0; i < 6; ++i) rooms.push_back(newRoom("r" + std::to_string(i)));
  RoomKeys cold(*node.store, keys, RoomKeysOptions{3, std::chrono::hours(1)});
  for (int round = 0; round < 3; ++round) {
    for (RoomId r : rooms) {
      boost::asio::co_spawn(
          node.ioc,
          [&cold, r]() -> Task<void> {
            auto key = co_await cold.current(r);
            (void)key;
          },
          boost::asio::detached);
    }
  }
  node.ioc.restart();
  node.ioc.run();
  EXPECT_LE(cold.cachedKeys(), 3u);
  EXPECT_EQ(cold.waitingOnUnwrap(), 0u);
}

}  // namespace
}  // namespace parley
