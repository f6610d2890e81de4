// RoomKeys keeps unwrapped data keys in memory, bounded by count and age, so that a
// KeyProvider behind the network (KMS) is called about once per room key, not per message.
#include "service/room_keys.h"

#include <gtest/gtest.h>

#include <atomic>

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

}  // namespace
}  // namespace parley
