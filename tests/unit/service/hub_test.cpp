// The Hub's routing of bus payloads: the classifier of kinds and topics, then who receives
// each kind, which membership change comes first, and what is dropped. Inline (no shards),
// over a Bus that only records subscriptions.
#include "service/hub.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "service/envelope.h"

namespace parley {
namespace {

// The Bus port reduced to what the Hub asks of it: the set of subscribed topics.
class TopicsBus : public Bus {
 public:
  void setHandler(Handler, std::function<void()>) override {}
  void subscribe(const std::string& topic) override { topics.insert(topic); }
  void unsubscribe(const std::string& topic) override { topics.erase(topic); }
  void publish(const std::string&, Payload) override {}
  std::set<std::string> topics;
};

class RecordingClient : public Hub::Client {
 public:
  RecordingClient(UserId user, SessionId session) : user_(user), session_(session) {}
  UserId userId() const override { return user_; }
  SessionId sessionId() const override { return session_; }
  void push(const LiveItem& item) override { pushed.push_back(item.env.kind); }
  void revoke() override { ++revoked; }
  void backfillAll() override { ++backfills; }
  std::vector<FrameKind> pushed;
  int revoked = 0;
  int backfills = 0;

 private:
  UserId user_;
  SessionId session_;
};

constexpr RoomId kRoom = 7;
constexpr RoomId kOtherRoom = 8;

class HubTest : public ::testing::Test {
 protected:
  TopicsBus bus;
  Hub hub{bus};
  std::shared_ptr<RecordingClient> alice1 = std::make_shared<RecordingClient>(1, 11);
  std::shared_ptr<RecordingClient> alice2 = std::make_shared<RecordingClient>(1, 12);
  std::shared_ptr<RecordingClient> bob = std::make_shared<RecordingClient>(2, 21);
  std::shared_ptr<RecordingClient> carol = std::make_shared<RecordingClient>(3, 31);

  void SetUp() override {
    hub.attach(alice1, {kRoom});
    hub.attach(alice2, {kRoom});
    hub.attach(bob, {kRoom});
    hub.attach(carol, {kOtherRoom});
  }
  // A payload of any kind, as another node's encodeEnvelope writes it ("<kind> <room> <n>
  // <user>"), so every kind byte goes through the decoder the bus uses.
  void send(const std::string& topic, FrameKind kind, RoomId room, std::int64_t n, UserId user) {
    hub.onBusMessage(topic, std::make_shared<const std::string>(fmt::format(
                                "{} {} {} {}\n{{}}", static_cast<char>(kind), room, n, user)));
  }
  static std::vector<FrameKind> kinds(std::initializer_list<FrameKind> k) { return k; }
};

TEST(BusRouteTest, ClassifiesEveryKindOnce) {
  using To = BusRoute::To;
  using Before = BusRoute::Before;
  using Deliver = BusRoute::Deliver;
  const std::string room = roomTopic(5);
  const std::string user = userTopic(42);
  // Room kinds: the envelope's room, whatever the topic.
  for (const std::string& topic : {room, user}) {
    EXPECT_EQ(classifyBusPayload(topic, FrameKind::event), BusRoute{To::room});
    EXPECT_EQ(classifyBusPayload(topic, FrameKind::member), BusRoute{To::room});
    EXPECT_EQ(classifyBusPayload(topic, FrameKind::read), BusRoute{To::room});
    EXPECT_EQ(classifyBusPayload(topic, FrameKind::typing),
              (BusRoute{To::room, 0, Before::nothing, Deliver::push_to_others}));
    EXPECT_EQ(classifyBusPayload(topic, FrameKind::member_gone),
              (BusRoute{To::room, 0, Before::subject_leaves}));
  }
  // User kinds: the topic's user.
  EXPECT_EQ(classifyBusPayload(user, FrameKind::room_added),
            (BusRoute{To::user, 42, Before::user_joins}));
  EXPECT_EQ(classifyBusPayload(user, FrameKind::room_removed),
            (BusRoute{To::user, 42, Before::user_leaves}));
  EXPECT_EQ(classifyBusPayload(user, FrameKind::presence), (BusRoute{To::user, 42}));
  EXPECT_EQ(classifyBusPayload(user, FrameKind::revoke),
            (BusRoute{To::user, 42, Before::nothing, Deliver::revoke}));
  // Nobody: a user kind off a user topic, a direct reply, a kind no node sends.
  const BusRoute nobody{};
  for (FrameKind k :
       {FrameKind::room_added, FrameKind::room_removed, FrameKind::presence, FrameKind::revoke}) {
    EXPECT_EQ(classifyBusPayload(room, k), nobody);
    EXPECT_EQ(classifyBusPayload("user:", k), nobody);
    EXPECT_EQ(classifyBusPayload("user:x", k), nobody);
    EXPECT_EQ(classifyBusPayload("", k), nobody);
  }
  EXPECT_EQ(classifyBusPayload(user, FrameKind::direct), nobody);
  EXPECT_EQ(classifyBusPayload(room, FrameKind::direct), nobody);
  EXPECT_EQ(classifyBusPayload(room, static_cast<FrameKind>('Z')), nobody);
}

TEST_F(HubTest, RoomFramesReachTheRoomsConnectionsOnly) {
  for (FrameKind k : {FrameKind::event, FrameKind::member, FrameKind::read}) {
    send(roomTopic(kRoom), k, kRoom, 5, 2);
  }
  const auto want = kinds({FrameKind::event, FrameKind::member, FrameKind::read});
  EXPECT_EQ(alice1->pushed, want);
  EXPECT_EQ(alice2->pushed, want);
  EXPECT_EQ(bob->pushed, want);
  EXPECT_TRUE(carol->pushed.empty());
}

TEST_F(HubTest, TypingIsNotEchoedToTheTypist) {
  send(roomTopic(kRoom), FrameKind::typing, kRoom, 0, 1);
  EXPECT_TRUE(alice1->pushed.empty());
  EXPECT_TRUE(alice2->pushed.empty());
  EXPECT_EQ(bob->pushed, kinds({FrameKind::typing}));
}

TEST_F(HubTest, MemberGoneRemovesTheSubjectBeforeThePush) {
  send(roomTopic(kRoom), FrameKind::member_gone, kRoom, 0, 1);
  EXPECT_TRUE(alice1->pushed.empty());
  EXPECT_TRUE(alice2->pushed.empty());
  EXPECT_EQ(bob->pushed, kinds({FrameKind::member_gone}));
  send(roomTopic(kRoom), FrameKind::event, kRoom, 6, 2);
  EXPECT_TRUE(alice1->pushed.empty());
  EXPECT_EQ(bob->pushed, kinds({FrameKind::member_gone, FrameKind::event}));
  // The last member leaving unsubscribes the room.
  send(roomTopic(kRoom), FrameKind::member_gone, kRoom, 0, 2);
  EXPECT_EQ(bus.topics.count(roomTopic(kRoom)), 0u);
}

TEST_F(HubTest, RoomAddedJoinsTheUsersConnectionsThenTellsThem) {
  send(userTopic(3), FrameKind::room_added, kRoom, 9, 0);
  EXPECT_EQ(carol->pushed, kinds({FrameKind::room_added}));
  EXPECT_TRUE(bob->pushed.empty());
  send(roomTopic(kRoom), FrameKind::event, kRoom, 10, 2);
  EXPECT_EQ(carol->pushed, kinds({FrameKind::room_added, FrameKind::event}));
}

TEST_F(HubTest, RoomRemovedLeavesTheRoomAndTellsTheUser) {
  send(userTopic(1), FrameKind::room_removed, kRoom, 0, 0);
  EXPECT_EQ(alice1->pushed, kinds({FrameKind::room_removed}));
  EXPECT_EQ(alice2->pushed, kinds({FrameKind::room_removed}));
  EXPECT_TRUE(bob->pushed.empty());
  send(roomTopic(kRoom), FrameKind::event, kRoom, 6, 2);
  EXPECT_EQ(alice1->pushed, kinds({FrameKind::room_removed}));
  EXPECT_EQ(bob->pushed, kinds({FrameKind::event}));
}

TEST_F(HubTest, PresenceGoesToTheUsersConnectionsAndTheObserver) {
  std::vector<std::pair<UserId, bool>> seen;
  hub.setPresenceObserver([&](UserId u, bool online) { seen.emplace_back(u, online); });
  send(userTopic(2), FrameKind::presence, 0, 1, 3);
  send(userTopic(2), FrameKind::presence, 0, 0, 3);
  EXPECT_EQ(bob->pushed, kinds({FrameKind::presence, FrameKind::presence}));
  EXPECT_TRUE(alice1->pushed.empty());
  EXPECT_TRUE(carol->pushed.empty());
  EXPECT_EQ(seen, (std::vector<std::pair<UserId, bool>>{{3, true}, {3, false}}));
}

TEST_F(HubTest, RevokeClosesOneSessionOrAllWithoutAPush) {
  send(userTopic(1), FrameKind::revoke, 0, 12, 0);
  EXPECT_EQ(alice1->revoked, 0);
  EXPECT_EQ(alice2->revoked, 1);
  send(userTopic(1), FrameKind::revoke, 0, 0, 0);
  EXPECT_EQ(alice1->revoked, 1);
  EXPECT_EQ(alice2->revoked, 2);
  EXPECT_EQ(bob->revoked, 0);
  EXPECT_TRUE(alice1->pushed.empty());
}

TEST_F(HubTest, DropsWhatHasNoAudience) {
  std::vector<std::pair<UserId, bool>> seen;
  hub.setPresenceObserver([&](UserId u, bool online) { seen.emplace_back(u, online); });
  // A user-topic kind on a room topic, a direct reply, an unknown kind, a malformed payload.
  send(roomTopic(kRoom), FrameKind::revoke, kRoom, 0, 0);
  send(roomTopic(kRoom), FrameKind::room_removed, kRoom, 0, 1);
  send(roomTopic(kRoom), FrameKind::presence, kRoom, 1, 2);
  send(roomTopic(kRoom), FrameKind::direct, kRoom, 0, 0);
  send(userTopic(1), FrameKind::direct, kRoom, 0, 0);
  send(roomTopic(kRoom), static_cast<FrameKind>('Z'), kRoom, 0, 0);
  hub.onBusMessage(roomTopic(kRoom), std::make_shared<const std::string>("E 7 1\n{}"));
  for (const auto& c : {alice1, alice2, bob, carol}) {
    EXPECT_TRUE(c->pushed.empty());
    EXPECT_EQ(c->revoked, 0);
  }
  // The observer hears every presence frame, wherever it arrived.
  EXPECT_EQ(seen, (std::vector<std::pair<UserId, bool>>{{2, true}}));
}

TEST_F(HubTest, SubscribesRoomAndUserTopicsWhileConnected) {
  EXPECT_EQ(bus.topics, (std::set<std::string>{roomTopic(kRoom), roomTopic(kOtherRoom),
                                               userTopic(1), userTopic(2), userTopic(3)}));
  EXPECT_FALSE(hub.detach(alice1));
  EXPECT_TRUE(hub.detach(alice2));
  hub.detach(carol);
  EXPECT_EQ(bus.topics, (std::set<std::string>{roomTopic(kRoom), userTopic(2)}));
  hub.onResubscribed();
  EXPECT_EQ(bob->backfills, 1);
  EXPECT_EQ(alice1->backfills, 0);
}

}  // namespace
}  // namespace parley
