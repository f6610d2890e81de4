#include <gtest/gtest.h>

#include "core/metrics.h"
#include "crypto/sealer.h"
#include "service/codec.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

class MessagesTest : public ::testing::Test {
 protected:
  TestNode node;
  User alice = node.user("alice");
  User bob = node.user("bob");
  Room room = node.run(node.rooms.create(alice, "general", "", true)).value();
};

TEST_F(MessagesTest, StoreHoldsOnlyCiphertextAndHistoryOpensIt) {
  auto sent = node.run(node.messages.send(alice, room.id, "c1", "the secret plan", 0));
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->event.meta.seq, 1);
  auto stored = node.run(node.store->eventAt(room.id, 1)).value();
  EXPECT_EQ(stored.sealed_body.find("secret"), std::string::npos);
  EXPECT_GT(stored.sealed_body.size(), std::string("the secret plan").size());

  auto page =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 10)).value();
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].text, "the secret plan");
  EXPECT_EQ(page.messages[0].sender_name, "alice");
}

TEST_F(MessagesTest, RetriedClientMsgIdGivesTheOriginal) {
  auto first = node.run(node.messages.send(alice, room.id, "same", "one", 0)).value();
  auto again = node.run(node.messages.send(alice, room.id, "same", "one", 0)).value();
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.event.meta.seq, first.event.meta.seq);
  EXPECT_EQ(again.event.text, "one");
  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 1);
}

TEST_F(MessagesTest, NonMembersAreRefusedWithoutRevealingPrivateRooms) {
  auto sent = node.run(node.messages.send(bob, room.id, "c", "hi", 0));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Code::not_member);
  Room secret = node.run(node.rooms.create(alice, "secret", "", false)).value();
  auto hist = node.run(node.messages.history(bob.id, secret.id, std::nullopt, std::nullopt, 10));
  ASSERT_FALSE(hist);
  EXPECT_EQ(hist.error().code, Code::not_found);
  EXPECT_EQ(node.run(node.store->roomById(secret.id)).value().last_seq, 0);
}

// Once this node holds a room's key (after any send there), a send goes straight to the
// Store, which checks membership inside the storing transaction.
TEST_F(MessagesTest, NonMemberSendsWithTheKeyHeldStoreNothing) {
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "a1", "hello", 0)));
  auto sent = node.run(node.messages.send(bob, room.id, "b1", "intrude", 0));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Code::not_member);

  Room secret = node.run(node.rooms.create(alice, "secret", "", false)).value();
  ASSERT_TRUE(node.run(node.messages.send(alice, secret.id, "a2", "hush", 0)));
  auto hidden = node.run(node.messages.send(bob, secret.id, "b2", "intrude", 0));
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, Code::not_found);  // a private room is not revealed

  // Checked at that moment: a member who left is refused, and so is their retry.
  node.run(node.rooms.join(bob, room.id)).value();
  ASSERT_TRUE(node.run(node.messages.send(bob, room.id, "b3", "briefly", 0)));
  ASSERT_TRUE(node.run(node.rooms.leave(bob, room.id)));
  auto after = node.run(node.messages.send(bob, room.id, "b4", "gone", 0));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Code::not_member);
  auto retry = node.run(node.messages.send(bob, room.id, "b3", "briefly", 0));
  ASSERT_FALSE(retry);
  EXPECT_EQ(retry.error().code, Code::not_member);

  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 2);
  EXPECT_EQ(node.run(node.store->roomById(secret.id)).value().last_seq, 1);
  auto page =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 10)).value();
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_EQ(page.messages[0].text, "hello");
  EXPECT_EQ(page.messages[1].text, "briefly");
}

// Without the key in memory the send checks membership before anything else: a non-member
// never makes a key be created for a room.
TEST_F(MessagesTest, NonMemberOfAKeylessRoomCreatesNoKey) {
  Room secret = node.run(node.rooms.create(alice, "quiet", "", false)).value();
  auto sent = node.run(node.messages.send(bob, secret.id, "b1", "first!", 0));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Code::not_found);
  EXPECT_EQ(node.run(node.store->latestRoomKey(secret.id)).error().code, Code::not_found);
  EXPECT_EQ(node.run(node.store->roomById(secret.id)).value().last_seq, 0);
  auto nowhere = node.run(node.messages.send(bob, secret.id + 1000, "b2", "hello?", 0));
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, Code::not_found);
}

TEST_F(MessagesTest, RateLimitedSendsStoreNothing) {
  node.limits.send_rate_per_sec = 2;
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "r1", "one", 0)));
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "r2", "two", 0)));
  auto third = node.run(node.messages.send(alice, room.id, "r3", "three", 0));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Code::rate_limited);
  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 2);
  node.clock.advance(1000);  // the next window
  auto later = node.run(node.messages.send(alice, room.id, "r3", "three", 0));
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_FALSE(later->duplicate);  // the limited attempt stored nothing to be a retry of
  EXPECT_EQ(later->event.meta.seq, 3);
}

// Edits and deletes are stored and fanned out like sends: they share the sender's bucket.
TEST_F(MessagesTest, EditsAndDeletesShareTheSendRateLimit) {
  node.limits.send_rate_per_sec = 3;
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "r1", "one", 0)));
  ASSERT_TRUE(node.run(node.messages.edit(alice, room.id, 1, "one!")));
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "r2", "two", 0)));
  auto edit = node.run(node.messages.edit(alice, room.id, 1, "flood"));
  ASSERT_FALSE(edit);
  EXPECT_EQ(edit.error().code, Code::rate_limited);
  EXPECT_GE(edit.error().retry_after_s, 1);
  auto del = node.run(node.messages.remove(alice, room.id, 3));
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, Code::rate_limited);
  // A write the sender may not make at all is charged too, before the room is looked at.
  Room secret = node.run(node.rooms.create(bob, "secret", "", false)).value();
  EXPECT_EQ(node.run(node.messages.edit(alice, secret.id, 1, "x")).error().code,
            Code::rate_limited);
  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 3);
  auto page =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 10)).value();
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_EQ(page.messages[0].text, "one!");
  EXPECT_FALSE(page.messages[1].meta.deleted);
  node.clock.advance(1000);  // the next window
  ASSERT_TRUE(node.run(node.messages.remove(alice, room.id, 3)));
  // Bob's bucket is his own.
  node.run(node.rooms.join(bob, room.id)).value();
  ASSERT_TRUE(node.run(node.messages.send(bob, room.id, "b1", "hi", 0)));
}

// Every refusal about a room the caller may not see is the one about a missing room, to the
// byte: code and message.
TEST_F(MessagesTest, HiddenRoomsAnswerAsMissingOnes) {
  Room secret = node.run(node.rooms.create(alice, "secret", "", false)).value();
  ASSERT_TRUE(node.run(node.messages.send(alice, secret.id, "a1", "hush", 0)));  // key held
  Room direct = node.run(node.rooms.direct(alice, "bob")).value();
  User carol = node.user("carol");
  const RoomId missing = direct.id + 1000;
  auto same = [&](auto call, const char* what) {
    Error want = call(missing);
    EXPECT_EQ(want.code, Code::not_found) << what;
    for (RoomId hidden : {secret.id, direct.id, RoomId{0}, RoomId{-4}}) {
      Error got = call(hidden);
      EXPECT_EQ(got.code, want.code) << what << " " << hidden;
      EXPECT_EQ(got.message, want.message) << what << " " << hidden;
    }
  };
  same([&](RoomId r) { return node.run(node.rooms.join(carol, r)).error(); }, "join");
  same([&](RoomId r) { return node.run(node.rooms.leave(carol, r)).error(); }, "leave");
  same([&](RoomId r) { return node.run(node.rooms.get(carol, r)).error(); }, "get");
  same([&](RoomId r) { return node.run(node.rooms.addMember(carol, r, "carol")).error(); }, "add");
  same([&](RoomId r) { return node.run(node.rooms.removeMember(carol, r, alice.id)).error(); },
       "remove");
  same([&](RoomId r) { return node.run(node.rooms.setRole(carol, r, alice.id, "admin")).error(); },
       "role");
  same([&](RoomId r) { return node.run(node.messages.send(carol, r, "c1", "hi", 0)).error(); },
       "send");
  same([&](RoomId r) { return node.run(node.messages.edit(carol, r, 1, "x")).error(); }, "edit");
  same([&](RoomId r) { return node.run(node.messages.remove(carol, r, 1)).error(); }, "delete");
  same([&](RoomId r) { return node.run(node.messages.markRead(carol.id, r, 1)).error(); }, "read");
  same([&](RoomId r) { return node.run(node.messages.typing(carol, r)).error(); }, "typing");
  same([&](RoomId r) { return node.run(node.messages.typing(carol, r)).error(); }, "typing again");
  same(
      [&](RoomId r) {
        return node.run(node.messages.history(carol.id, r, std::nullopt, std::nullopt, 10)).error();
      },
      "history");
}

TEST_F(MessagesTest, TextLimitsAreEnforced) {
  EXPECT_EQ(node.run(node.messages.send(alice, room.id, "c", "", 0)).error().code,
            Code::bad_request);
  std::string big(node.limits.max_text_bytes + 1, 'x');
  EXPECT_EQ(node.run(node.messages.send(alice, room.id, "c", big, 0)).error().code,
            Code::message_too_long);
  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 0);
}

TEST_F(MessagesTest, OnlyTheSenderEditsAndDeletesLeaveATombstone) {
  node.run(node.rooms.join(bob, room.id)).value();
  auto sent = node.run(node.messages.send(alice, room.id, "c1", "draft", 0)).value();
  auto theft = node.run(node.messages.edit(bob, room.id, sent.event.meta.seq, "mine now"));
  ASSERT_FALSE(theft);
  EXPECT_EQ(theft.error().code, Code::forbidden);

  auto edit = node.run(node.messages.edit(alice, room.id, sent.event.meta.seq, "final")).value();
  EXPECT_EQ(edit.meta.kind, EventKind::edit);
  EXPECT_EQ(edit.meta.target, sent.event.meta.seq);
  auto page =
      node.run(node.messages.history(bob.id, room.id, std::nullopt, std::nullopt, 10)).value();
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].text, "final");
  EXPECT_NE(page.messages[0].meta.edited_at, 0);

  auto del = node.run(node.messages.remove(alice, room.id, sent.event.meta.seq)).value();
  EXPECT_EQ(del.meta.kind, EventKind::del);
  page = node.run(node.messages.history(bob.id, room.id, std::nullopt, std::nullopt, 10)).value();
  EXPECT_TRUE(page.messages[0].meta.deleted);
  EXPECT_EQ(page.messages[0].text, "");
  EXPECT_TRUE(
      node.run(node.store->eventAt(room.id, sent.event.meta.seq)).value().sealed_body.empty());
}

TEST_F(MessagesTest, HistoryPagesBackwardsWithHasMore) {
  for (int i = 1; i <= 7; ++i) {
    node.run(
            node.messages.send(alice, room.id, "c" + std::to_string(i), "m" + std::to_string(i), 0))
        .value();
  }
  auto newest =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 3)).value();
  ASSERT_EQ(newest.messages.size(), 3u);
  EXPECT_EQ(newest.messages.front().meta.seq, 5);
  EXPECT_TRUE(newest.has_more);
  auto older = node.run(node.messages.history(alice.id, room.id, Seq{5}, std::nullopt, 3)).value();
  EXPECT_EQ(older.messages.front().meta.seq, 2);
  EXPECT_TRUE(older.has_more);
  auto oldest = node.run(node.messages.history(alice.id, room.id, Seq{2}, std::nullopt, 3)).value();
  ASSERT_EQ(oldest.messages.size(), 1u);
  EXPECT_FALSE(oldest.has_more);
  auto forward =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, Seq{5}, 3)).value();
  ASSERT_EQ(forward.messages.size(), 2u);
  EXPECT_EQ(forward.messages.front().meta.seq, 6);
  EXPECT_FALSE(forward.has_more);
}

TEST_F(MessagesTest, NewestPageComesFromTheCacheWithEditsApplied) {
  for (int i = 1; i <= 7; ++i) {
    node.run(
            node.messages.send(alice, room.id, "c" + std::to_string(i), "m" + std::to_string(i), 0))
        .value();
  }
  node.run(node.messages.edit(alice, room.id, 6, "six")).value();
  node.run(node.messages.remove(alice, room.id, 7)).value();
  auto hits = metrics().cache_hits.value();
  auto page =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 3)).value();
  EXPECT_EQ(metrics().cache_hits.value(), hits + 1);
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_TRUE(page.has_more);
  EXPECT_EQ(page.messages[0].meta.seq, 5);
  EXPECT_EQ(page.messages[1].text, "six");
  EXPECT_TRUE(page.messages[2].meta.deleted);
  EXPECT_EQ(page.messages[2].text, "");
  // The whole room fits: has_more is false, from the cache too.
  auto all =
      node.run(node.messages.history(alice.id, room.id, std::nullopt, std::nullopt, 50)).value();
  EXPECT_EQ(all.messages.size(), 7u);
  EXPECT_FALSE(all.has_more);
}

// The newest page as GET /rooms/{id}/messages answers it, through this node's PageCache.
std::string pageOf(TestNode& node, MessageService& messages, const User& reader, RoomId room,
                   int limit = 10) {
  auto body = node.run(messages.historyJson(reader.id, room, std::nullopt, std::nullopt, limit));
  EXPECT_TRUE(body) << body.error().message;
  return body ? **body : std::string();
}

TEST_F(MessagesTest, NewestPageIsRenderedOnceThenServedFromThePageCache) {
  node.run(node.rooms.join(bob, room.id)).value();
  for (int i = 1; i <= 3; ++i) {
    node.run(
            node.messages.send(alice, room.id, "c" + std::to_string(i), "m" + std::to_string(i), 0))
        .value();
  }
  const auto page_hits = metrics().history_page_hits.value();
  std::string first = pageOf(node, node.messages, bob, room.id);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits);
  EXPECT_EQ(node.messages.pageCache().entries(), 1u);
  std::string second = pageOf(node, node.messages, bob, room.id);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 1);
  EXPECT_EQ(second, first);
  // What it serves is what the page renders to, and pages with before/after bypass it.
  auto page =
      node.run(node.messages.history(bob.id, room.id, std::nullopt, std::nullopt, 10)).value();
  EXPECT_EQ(first, codec::eventsPage(page.messages, page.has_more));
  auto older = node.run(node.messages.historyJson(bob.id, room.id, Seq{3}, std::nullopt, 10));
  ASSERT_TRUE(older);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 1);
  EXPECT_EQ((*older)->find("m3"), std::string::npos);
  // A local send drops the room's page.
  node.run(node.messages.send(alice, room.id, "c4", "m4", 0)).value();
  EXPECT_EQ(node.messages.pageCache().entries(), 0u);
  EXPECT_NE(pageOf(node, node.messages, bob, room.id).find("m4"), std::string::npos);
}

TEST_F(MessagesTest, PageCacheNeverServesAPageOlderThanAChangeMadeOnAnotherNode) {
  // A second node on the same Store and Cache: its writes do not touch this node's PageCache.
  UserDirectory other_users{*node.store};
  RoomKeys other_keys{*node.store, *node.keys};
  MessageService other{*node.store, *node.cache, *node.bus,  other_keys,
                       other_users, node.files,  node.clock, node.limits};
  node.run(node.rooms.join(bob, room.id)).value();
  for (int i = 1; i <= 3; ++i) {
    node.run(
            node.messages.send(alice, room.id, "c" + std::to_string(i), "m" + std::to_string(i), 0))
        .value();
  }
  pageOf(node, node.messages, bob, room.id);
  const auto page_hits = metrics().history_page_hits.value();
  EXPECT_NE(pageOf(node, node.messages, bob, room.id).find("\"m2\""), std::string::npos);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 1);

  node.run(other.edit(alice, room.id, 2, "edited elsewhere")).value();
  EXPECT_EQ(node.messages.pageCache().entries(), 1u);  // still held, but no longer current
  std::string after_edit = pageOf(node, node.messages, bob, room.id);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 1);
  EXPECT_NE(after_edit.find("edited elsewhere"), std::string::npos);
  EXPECT_EQ(after_edit.find("\"m2\""), std::string::npos);
  EXPECT_EQ(pageOf(node, node.messages, bob, room.id), after_edit);  // current again: a hit
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 2);

  node.run(other.remove(alice, room.id, 3)).value();
  std::string after_delete = pageOf(node, node.messages, bob, room.id);
  EXPECT_EQ(after_delete.find("\"m3\""), std::string::npos);
  EXPECT_NE(after_delete.find("\"deleted\":true"), std::string::npos);

  node.run(other.send(alice, room.id, "c9", "sent elsewhere", 0)).value();
  EXPECT_NE(pageOf(node, node.messages, bob, room.id).find("sent elsewhere"), std::string::npos);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 2);
}

TEST_F(MessagesTest, PageCacheStillChecksMembershipOnEveryRead) {
  Room secret = node.run(node.rooms.create(alice, "secret", "", false)).value();
  node.run(node.rooms.addMember(alice, secret.id, "bob")).value();
  node.run(node.messages.send(alice, secret.id, "c1", "for members only", 0)).value();
  pageOf(node, node.messages, bob, secret.id);
  pageOf(node, node.messages, bob, secret.id);  // kept and served
  node.run(node.rooms.removeMember(alice, secret.id, bob.id)).value();
  const auto page_hits = metrics().history_page_hits.value();
  auto refused =
      node.run(node.messages.historyJson(bob.id, secret.id, std::nullopt, std::nullopt, 10));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::not_found);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits);
  // The page is still there for those who may read it.
  EXPECT_NE(pageOf(node, node.messages, alice, secret.id).find("for members only"),
            std::string::npos);
  EXPECT_EQ(metrics().history_page_hits.value(), page_hits + 1);
}

TEST_F(MessagesTest, ReadMarkerMovesForwardOnly) {
  node.run(node.messages.send(alice, room.id, "c1", "x", 0)).value();
  node.run(node.messages.send(alice, room.id, "c2", "y", 0)).value();
  EXPECT_EQ(node.run(node.messages.markRead(alice.id, room.id, 2)).value(), 2);
  EXPECT_EQ(node.run(node.messages.markRead(alice.id, room.id, 1)).value(), 2);
}

TEST_F(MessagesTest, RoomKeyIsWrappedAndBoundToTheRoom) {
  node.run(node.messages.send(alice, room.id, "c1", "x", 0)).value();
  auto rec = node.run(node.store->latestRoomKey(room.id)).value();
  EXPECT_EQ(rec.version, 1u);
  std::string other_room = "parley/room-key/v1|" + std::to_string(room.id + 1) + "|1";
  EXPECT_FALSE(node.run(node.keys->unwrap(rec.wrapped, other_room)));
}

}  // namespace
}  // namespace parley
