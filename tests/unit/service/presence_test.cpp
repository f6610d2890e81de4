// Bounded live presence: frames and the snapshot reach only presence peers (a shared direct
// room, or a group room of at most the limit); the member list reports everyone.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <mutex>

#include "service/envelope.h"
#include "support/test_node.h"

namespace parley {
namespace {

namespace json = boost::json;
using testing::TestNode;

// A connection that records the presence frames the Hub hands it.
class PresenceClient : public Hub::Client {
 public:
  explicit PresenceClient(UserId user) : user_(user) {}
  UserId userId() const override { return user_; }
  SessionId sessionId() const override { return 1; }
  void push(const LiveItem& item) override {
    if (item.env.kind != FrameKind::presence) return;
    std::lock_guard lock(mu_);
    about.push_back({item.env.user, item.env.online});
  }
  void revoke() override {}
  void backfillAll() override {}
  std::vector<std::pair<UserId, bool>> about;  // (subject, online)

 private:
  std::mutex mu_;
  UserId user_;
};

constexpr std::int64_t kLimit = 3;

class PresenceTest : public ::testing::Test {
 protected:
  TestNode node{kLimit};
  User alice = node.user("alice");
  User bob = node.user("bob");
  User carol = node.user("carol");
  User dave = node.user("dave");
  User erin = node.user("erin");
  User frank = node.user("frank");

  Room groupOf(const User& owner, std::vector<const User*> others) {
    Room r = node.run(node.rooms.create(owner, "room", "", false)).value();
    for (auto* u : others) node.run(node.rooms.addMember(owner, r.id, u->username)).value();
    return r;
  }
  std::shared_ptr<PresenceClient> online(const User& u) {
    auto c = std::make_shared<PresenceClient>(u.id);
    bool first = node.hub.attach(c, {});
    node.run(node.presence.connected(u.id, first));
    return c;
  }
  std::vector<UserId> snapshotOf(const User& u) {
    return idsOf(node.run(node.presence.snapshot(u.id)));
  }
  std::vector<UserId> idsOf(const std::string& frame) {
    json::object o = json::parse(frame).as_object();
    EXPECT_EQ(o.at("type").as_string(), "presence_snapshot");
    std::vector<UserId> ids;
    for (auto& v : o.at("online").as_array()) {
      const json::object& who = v.as_object();
      ids.push_back(who.at("id").as_int64());
      EXPECT_FALSE(who.at("username").as_string().empty());
    }
    return ids;
  }
  static std::vector<UserId> sorted(std::vector<UserId> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST_F(PresenceTest, SnapshotListsExactlyTheOnlinePeers) {
  groupOf(alice, {&bob, &carol});          // 3 members: at the limit, live
  groupOf(alice, {&dave, &erin, &frank});  // 4 members: above it
  node.run(node.rooms.direct(alice, frank.username)).value();
  online(bob);
  online(dave);
  online(frank);  // shares the big room and a direct room with alice
  // carol (small room) and erin (big room only) are offline; dave is online but only big.
  EXPECT_EQ(snapshotOf(alice), sorted({bob.id, frank.id}));
  EXPECT_EQ(snapshotOf(dave), std::vector<UserId>{});
  EXPECT_EQ(snapshotOf(carol), std::vector<UserId>{bob.id});
}

// A hello's arrived(): connected() and snapshot() in one, the peers read once.
TEST_F(PresenceTest, ArrivingAnnouncesOnTheFirstConnectionAndAnswersTheSnapshot) {
  groupOf(alice, {&bob});
  groupOf(alice, {&carol, &dave, &erin});  // above the limit
  auto b = online(bob);
  auto c = online(carol);
  auto a = std::make_shared<PresenceClient>(alice.id);
  bool first = node.hub.attach(a, {});
  ASSERT_TRUE(first);
  EXPECT_EQ(idsOf(node.run(node.presence.arrived(alice.id, first))), std::vector<UserId>{bob.id});
  EXPECT_EQ(b->about, (std::vector<std::pair<UserId, bool>>{{alice.id, true}}));
  EXPECT_TRUE(c->about.empty());
  // A second connection of hers on this node: the same snapshot, no second announcement.
  auto a2 = std::make_shared<PresenceClient>(alice.id);
  first = node.hub.attach(a2, {});
  ASSERT_FALSE(first);
  EXPECT_EQ(idsOf(node.run(node.presence.arrived(alice.id, first))), snapshotOf(alice));
  EXPECT_EQ(b->about.size(), 1u);
  // Her lease is held: bob's snapshot lists her.
  EXPECT_EQ(snapshotOf(bob), std::vector<UserId>{alice.id});
}

TEST_F(PresenceTest, FramesFlowThroughSmallAndDirectRoomsOnly) {
  groupOf(alice, {&bob});
  groupOf(alice, {&carol, &dave, &erin});  // above the limit
  node.run(node.rooms.direct(frank, alice.username)).value();
  auto b = online(bob);
  auto c = online(carol);
  auto f = online(frank);
  auto a = online(alice);
  EXPECT_EQ(b->about, (std::vector<std::pair<UserId, bool>>{{alice.id, true}}));
  EXPECT_EQ(f->about, (std::vector<std::pair<UserId, bool>>{{alice.id, true}}));
  EXPECT_TRUE(c->about.empty());
  EXPECT_TRUE(a->about.empty());  // it learns of the others from its snapshot
  bool last = node.hub.detach(a);
  node.run(node.presence.disconnected(alice.id, last));
  EXPECT_EQ(b->about.back(), std::make_pair(alice.id, false));
  EXPECT_EQ(f->about.back(), std::make_pair(alice.id, false));
  EXPECT_TRUE(c->about.empty());
}

TEST_F(PresenceTest, ARoomCrossingTheLimitStopsCarryingPresence) {
  Room room = groupOf(alice, {&bob});  // 2 members
  auto a = online(alice);
  auto b = online(bob);
  auto c = online(carol);
  node.run(node.rooms.addMember(alice, room.id, carol.username)).value();  // 3: introduced
  EXPECT_NE(std::find(c->about.begin(), c->about.end(), std::make_pair(alice.id, true)),
            c->about.end());
  EXPECT_NE(std::find(a->about.begin(), a->about.end(), std::make_pair(carol.id, true)),
            a->about.end());
  auto d = online(dave);
  a->about.clear();
  node.run(node.rooms.addMember(alice, room.id, dave.username)).value();  // 4: above
  EXPECT_TRUE(d->about.empty());
  EXPECT_TRUE(a->about.empty());
  // From now on nobody of the room hears of the others coming and going.
  b->about.clear();
  c->about.clear();
  bool last = node.hub.detach(a);
  node.run(node.presence.disconnected(alice.id, last));
  EXPECT_TRUE(b->about.empty());
  EXPECT_TRUE(c->about.empty());
  EXPECT_TRUE(d->about.empty());
  EXPECT_EQ(snapshotOf(bob), std::vector<UserId>{});
}

TEST_F(PresenceTest, ARemovedMemberHearsNoMoreOfTheRoom) {
  Room room = groupOf(alice, {&bob});
  auto b = online(bob);
  auto a = online(alice);
  ASSERT_EQ(b->about.size(), 1u);
  ASSERT_TRUE(node.run(node.rooms.removeMember(alice, room.id, bob.id)));
  bool last = node.hub.detach(a);
  node.run(node.presence.disconnected(alice.id, last));
  online(alice);
  EXPECT_EQ(b->about.size(), 1u);  // neither the offline nor the online after removal
  EXPECT_EQ(snapshotOf(bob), std::vector<UserId>{});
}

TEST_F(PresenceTest, TheMemberListShowsWhoIsOnlineInAnyRoom) {
  Room room = groupOf(alice, {&bob, &carol, &dave});  // above the limit
  online(bob);
  online(dave);
  auto d = node.run(node.rooms.get(alice, room.id)).value();
  EXPECT_EQ(d.member_count, 4);
  EXPECT_FALSE(d.live_presence);
  EXPECT_FALSE(d.has_more);
  ASSERT_EQ(d.members.size(), 4u);
  std::vector<UserId> on;
  for (std::size_t i = 0; i < d.members.size(); ++i) {
    if (d.online[i]) on.push_back(d.members[i].user_id);
  }
  EXPECT_EQ(on, sorted({bob.id, dave.id}));
  // Pages go by user id.
  auto first = node.run(node.rooms.get(alice, room.id, 0, 3)).value();
  ASSERT_EQ(first.members.size(), 3u);
  EXPECT_TRUE(first.has_more);
  auto rest = node.run(node.rooms.get(alice, room.id, first.members.back().user_id, 3)).value();
  ASSERT_EQ(rest.members.size(), 1u);
  EXPECT_FALSE(rest.has_more);
  EXPECT_EQ(rest.members[0].user_id, d.members.back().user_id);
  // Members only.
  EXPECT_EQ(node.run(node.rooms.get(erin, room.id)).error().code, Code::not_found);
}

}  // namespace
}  // namespace parley
