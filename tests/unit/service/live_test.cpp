// The Hub's routing and the LiveFeed's exactly-once, in-order delivery.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>

#include "core/metrics.h"
#include "service/envelope.h"
#include "service/live_feed.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

// A connection that records what the Hub hands it.
class RecordingClient : public Hub::Client {
 public:
  RecordingClient(UserId user, SessionId session) : user_(user), session_(session) {}
  UserId userId() const override { return user_; }
  SessionId sessionId() const override { return session_; }
  void push(const LiveItem& item) override {
    std::lock_guard lock(mu_);
    items.push_back(item);
  }
  void revoke() override { revoked = true; }
  void backfillAll() override {}

  std::vector<Envelope> envelopes() {
    std::lock_guard lock(mu_);
    std::vector<Envelope> out;
    for (auto& i : items) out.push_back(i.env);
    return out;
  }
  std::vector<LiveItem> items;
  bool revoked = false;

 private:
  std::mutex mu_;
  UserId user_;
  SessionId session_;
};

class LiveTest : public ::testing::Test {
 protected:
  TestNode node;
  User alice = node.user("alice");
  User bob = node.user("bob");
  Room room = node.run(node.rooms.create(alice, "general", "", true)).value();

  void send(const User& who, const std::string& text) {
    node.run(node.messages.send(who, room.id, "c-" + text, text, 0)).value();
  }
  static std::vector<Seq> seqsOf(const LiveFeed::Frames& frames) {
    std::vector<Seq> out;
    for (auto& f : frames) {
      if (f.env.kind == FrameKind::event) out.push_back(f.env.seq);
    }
    return out;
  }
};

TEST(Envelope, RoundTripsAndRejectsGarbage) {
  auto p = encodeEnvelope(Envelope::event(7, 42, 3), R"({"type":"event"})");
  auto item = decodeEnvelope(p);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->env.kind, FrameKind::event);
  EXPECT_EQ(item->env.room, 7);
  EXPECT_EQ(item->env.seq, 42);
  EXPECT_EQ(item->env.user, 3);
  EXPECT_EQ(item->frame(), R"({"type":"event"})");
  for (std::string bad : {"", "E 1 2\n{}", "E x 2 3\n{}", "E 1 2 3 4\n{}", "E 1 2 3"}) {
    EXPECT_FALSE(decodeEnvelope(std::make_shared<const std::string>(bad))) << bad;
  }
}

TEST_F(LiveTest, HubFansOutToMembersOnly) {
  auto a = std::make_shared<RecordingClient>(alice.id, 1);
  auto b = std::make_shared<RecordingClient>(bob.id, 2);
  node.hub.attach(a, {room.id});
  node.hub.attach(b, {});
  send(alice, "hello");
  ASSERT_EQ(a->envelopes().size(), 1u);
  EXPECT_EQ(a->envelopes()[0].seq, 1);
  EXPECT_TRUE(b->envelopes().empty());
}

TEST_F(LiveTest, RemovedMemberStopsReceivingBeforeTheNextEvent) {
  node.run(node.rooms.join(bob, room.id)).value();
  auto b = std::make_shared<RecordingClient>(bob.id, 2);
  node.hub.attach(b, {room.id});
  send(alice, "before");
  node.run(node.rooms.removeMember(alice, room.id, bob.id)).value();
  send(alice, "after");
  std::vector<Seq> event_seqs;
  bool removed = false;
  for (auto& e : b->envelopes()) {
    if (e.kind == FrameKind::event) event_seqs.push_back(e.seq);
    if (e.kind == FrameKind::room_removed) removed = true;
  }
  EXPECT_EQ(event_seqs, std::vector<Seq>{1});
  EXPECT_TRUE(removed);
}

TEST_F(LiveTest, AddedMemberStartsReceiving) {
  auto b = std::make_shared<RecordingClient>(bob.id, 2);
  node.hub.attach(b, {});
  node.run(node.rooms.addMember(alice, room.id, "bob")).value();
  send(alice, "welcome");
  auto envs = b->envelopes();
  ASSERT_GE(envs.size(), 2u);
  EXPECT_EQ(envs.front().kind, FrameKind::room_added);
  EXPECT_EQ(envs.back().kind, FrameKind::event);
}

// A RecordingClient that lives on a given Hub shard.
class ShardClient : public RecordingClient {
 public:
  ShardClient(UserId user, SessionId session, std::size_t shard)
      : RecordingClient(user, session), shard_(shard) {}
  std::size_t shard() const override { return shard_; }

 private:
  std::size_t shard_;
};

TEST_F(LiveTest, ShardedHubKeepsOrderAndMembershipOnEveryShard) {
  namespace asio = boost::asio;
  Hub hub(*node.bus, {asio::make_strand(node.ioc), asio::make_strand(node.ioc)});
  node.bus->setHandler(
      [&hub](const std::string& t, Bus::Payload p) { hub.onBusMessage(t, std::move(p)); },
      [&hub] { hub.onResubscribed(); });
  node.run(node.rooms.join(bob, room.id)).value();
  auto a = std::make_shared<ShardClient>(alice.id, 1, 0);
  auto b0 = std::make_shared<ShardClient>(bob.id, 2, 0);
  auto b1 = std::make_shared<ShardClient>(bob.id, 3, 1);
  bool first_b0 = false, first_b1 = false;
  // attach and detach run on the client's shard.
  asio::post(hub.shardExecutor(0), [&] {
    hub.attach(a, {room.id});
    first_b0 = hub.attach(b0, {room.id});
  });
  asio::post(hub.shardExecutor(1), [&] { first_b1 = hub.attach(b1, {room.id}); });
  node.ioc.restart();
  node.ioc.run();
  EXPECT_NE(first_b0, first_b1);  // exactly one of bob's connections is his first here
  EXPECT_TRUE(hub.isOnline(bob.id));

  for (auto t : {"1", "2", "3"}) send(alice, t);
  node.run(node.rooms.removeMember(alice, room.id, bob.id)).value();
  send(alice, "after");

  auto events = [](ShardClient& c) {
    std::vector<Seq> seqs;
    bool removed = false;
    for (auto& e : c.envelopes()) {
      if (e.kind == FrameKind::event) seqs.push_back(e.seq);
      if (e.kind == FrameKind::room_removed) removed = true;
    }
    return std::make_pair(seqs, removed);
  };
  EXPECT_EQ(events(*a).first, (std::vector<Seq>{1, 2, 3, 4}));
  for (auto* b : {b0.get(), b1.get()}) {
    auto [seqs, removed] = events(*b);
    EXPECT_EQ(seqs, (std::vector<Seq>{1, 2, 3}));  // in order, and nothing after the removal
    EXPECT_TRUE(removed);
  }

  bool last_b0 = true, last_b1 = false;
  asio::post(hub.shardExecutor(0), [&] { last_b0 = hub.detach(b0); });
  node.ioc.restart();
  node.ioc.run();
  EXPECT_FALSE(last_b0);
  EXPECT_TRUE(hub.isOnline(bob.id));
  asio::post(hub.shardExecutor(1), [&] { last_b1 = hub.detach(b1); });
  node.ioc.restart();
  node.ioc.run();
  EXPECT_TRUE(last_b1);
  EXPECT_FALSE(hub.isOnline(bob.id));
  node.bus->setHandler(
      [this](const std::string& t, Bus::Payload p) { node.hub.onBusMessage(t, std::move(p)); },
      [this] { node.hub.onResubscribed(); });
}

TEST_F(LiveTest, TypingIsNotEchoedAndRevocationTargetsOneSession) {
  node.run(node.rooms.join(bob, room.id)).value();
  auto a = std::make_shared<RecordingClient>(alice.id, 1);
  auto b1 = std::make_shared<RecordingClient>(bob.id, 2);
  auto b2 = std::make_shared<RecordingClient>(bob.id, 3);
  node.hub.attach(a, {room.id});
  node.hub.attach(b1, {room.id});
  node.hub.attach(b2, {room.id});
  node.run(node.messages.typing(alice, room.id)).value();
  EXPECT_TRUE(a->envelopes().empty());
  EXPECT_EQ(b1->envelopes().size(), 1u);
  node.bus->publish(userTopic(bob.id), encodeEnvelope(Envelope::revoke(bob.id, 3), "{}"));
  node.ioc.restart();
  node.ioc.run();
  EXPECT_FALSE(b1->revoked);
  EXPECT_TRUE(b2->revoked);
}

TEST_F(LiveTest, FeedReplaysInOrderDropsDuplicatesAndFillsGaps) {
  for (auto t : {"1", "2", "3", "4", "5"}) send(alice, t);
  LiveFeed feed(node.messages, bob.id, 100);
  auto replay = node.run(feed.start(room.id, 1, 3)).value();
  EXPECT_EQ(seqsOf(replay), (std::vector<Seq>{2, 3}));

  // A wake-up for seq 5 when 4 was lost: 4 is fetched first.
  auto e5 = node.run(node.store->eventAt(room.id, 5)).value();
  LiveItem item =
      decodeEnvelope(encodeEnvelope(Envelope::event(room.id, 5, alice.id), "{}")).value();
  auto frames = node.run(feed.process(item)).value();
  EXPECT_EQ(seqsOf(frames), (std::vector<Seq>{4, 5}));
  // The same wake-up again, and an old one: nothing.
  EXPECT_TRUE(node.run(feed.process(item)).value().empty());
  LiveItem old =
      decodeEnvelope(encodeEnvelope(Envelope::event(room.id, 2, alice.id), "{}")).value();
  EXPECT_TRUE(node.run(feed.process(old)).value().empty());
  (void)e5;
}

TEST_F(LiveTest, FeedSaysResyncWhenTooFarBehind) {
  for (auto t : {"1", "2", "3", "4", "5"}) send(alice, t);
  LiveFeed feed(node.messages, bob.id, 2);
  auto frames = node.run(feed.start(room.id, 0, 5)).value();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].frame().find(R"("type":"resync")"), std::string_view::npos);
  // After a resync, live delivery continues from the room's end.
  send(alice, "6");
  LiveItem item =
      decodeEnvelope(encodeEnvelope(Envelope::event(room.id, 6, alice.id), "{}")).value();
  EXPECT_EQ(seqsOf(node.run(feed.process(item)).value()), std::vector<Seq>{6});
}

TEST_F(LiveTest, ResumeReadsTheCacheAndDetectsWhenItLags) {
  for (auto t : {"1", "2", "3"}) send(alice, t);
  auto hits = metrics().cache_hits.value();
  LiveFeed feed(node.messages, bob.id, 100);
  EXPECT_EQ(seqsOf(node.run(feed.start(room.id, 1, 3)).value()), (std::vector<Seq>{2, 3}));
  EXPECT_EQ(metrics().cache_hits.value(), hits + 1);

  // An event the cache never heard of (as if its node died between commit and append).
  AppendRequest del;
  del.room_id = room.id;
  del.kind = EventKind::del;
  del.event_id = "stale-cache-probe";
  del.sender = alice.id;
  del.target = 1;
  node.run(node.store->append(del)).value();
  LiveFeed fresh(node.messages, bob.id, 100);
  EXPECT_EQ(seqsOf(node.run(fresh.start(room.id, 0, 4)).value()), (std::vector<Seq>{1, 2, 3, 4}));
}

TEST_F(LiveTest, FeedIgnoresRoomsItDoesNotTrack) {
  send(alice, "1");
  LiveFeed feed(node.messages, bob.id, 100);
  LiveItem item =
      decodeEnvelope(encodeEnvelope(Envelope::event(room.id, 1, alice.id), "{}")).value();
  EXPECT_TRUE(node.run(feed.process(item)).value().empty());
}

}  // namespace
}  // namespace parley
