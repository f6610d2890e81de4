// The Store contract for reactions (src/ports/store.h, append of kind react/unreact, and
// reactionsBy). Included by store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

inline AppendRequest reaction(AppendRequest r, const std::string& emoji, int max_emoji = 20) {
  r.sealed_body = "sealed:" + emoji;
  r.emoji = emoji;
  r.max_emoji = max_emoji;
  return r;
}

TEST_P(StoreContract, ReactionsAreTimelineEventsWithTheTargetsAggregate) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  StoredEvent msg = send(room.id, alice.id, "m");

  auto r1 = run(store().append(reaction(change(EventKind::react, room.id, bob.id, msg.seq), "👍")));
  ASSERT_TRUE(r1) << errorOf(r1);
  EXPECT_FALSE(r1->duplicate);
  EXPECT_EQ(r1->event.kind, EventKind::react);
  EXPECT_EQ(r1->event.seq, msg.seq + 1);
  EXPECT_EQ(r1->event.target, msg.seq);
  EXPECT_EQ(r1->event.sealed_body, "sealed:👍");
  const std::string one =
      "[{\"emoji\":\"👍\",\"count\":1,\"users\":[" + std::to_string(bob.id) + "]}]";
  EXPECT_EQ(r1->event.reactions, one);

  auto r2 =
      run(store().append(reaction(change(EventKind::react, room.id, alice.id, msg.seq), "👍")));
  ASSERT_TRUE(r2) << errorOf(r2);
  auto r3 =
      run(store().append(reaction(change(EventKind::react, room.id, alice.id, msg.seq), "🎉")));
  ASSERT_TRUE(r3) << errorOf(r3);
  const std::string both = "[{\"emoji\":\"👍\",\"count\":2,\"users\":[" + std::to_string(bob.id) +
                           "," + std::to_string(alice.id) + "]},{\"emoji\":\"🎉\",\"count\":1," +
                           "\"users\":[" + std::to_string(alice.id) + "]}]";
  EXPECT_EQ(r3->event.reactions, both);
  auto target = run(store().eventAt(room.id, msg.seq));
  ASSERT_TRUE(target) << errorOf(target);
  EXPECT_EQ(target->reactions, both);
  // Every read of the message carries it; the events keep theirs.
  auto page = run(store().events(EventQuery{.room_id = room.id, .limit = 10}));
  ASSERT_TRUE(page) << errorOf(page);
  ASSERT_EQ(page->size(), 4u);
  EXPECT_EQ((*page)[0].reactions, both);
  EXPECT_EQ((*page)[1].reactions, one);
  EXPECT_EQ((*page)[1].kind, EventKind::react);

  auto mine = run(store().reactionsBy(room.id, alice.id, 1, msg.seq));
  ASSERT_TRUE(mine) << errorOf(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0], (std::pair<Seq, std::string>{msg.seq, "👍"}));
  EXPECT_EQ((*mine)[1], (std::pair<Seq, std::string>{msg.seq, "🎉"}));

  auto back =
      run(store().append(reaction(change(EventKind::unreact, room.id, bob.id, msg.seq), "👍")));
  ASSERT_TRUE(back) << errorOf(back);
  EXPECT_EQ(back->event.kind, EventKind::unreact);
  EXPECT_EQ(back->event.seq, msg.seq + 4);
  EXPECT_EQ(run(store().eventAt(room.id, msg.seq))->reactions,
            "[{\"emoji\":\"👍\",\"count\":1,\"users\":[" + std::to_string(alice.id) +
                "]},{\"emoji\":\"🎉\",\"count\":1,\"users\":[" + std::to_string(alice.id) + "]}]");
}

TEST_P(StoreContract, AReactionThatChangesNothingStoresNothing) {
  User alice = user("alice");
  Room room = group(alice.id);
  StoredEvent msg = send(room.id, alice.id, "m");
  ASSERT_TRUE(
      run(store().append(reaction(change(EventKind::react, room.id, alice.id, msg.seq), "👍"))));
  auto again =
      run(store().append(reaction(change(EventKind::react, room.id, alice.id, msg.seq), "👍")));
  ASSERT_TRUE(again) << errorOf(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.seq, msg.seq);
  EXPECT_EQ(again->event.kind, EventKind::message);
  auto none =
      run(store().append(reaction(change(EventKind::unreact, room.id, alice.id, msg.seq), "🎉")));
  ASSERT_TRUE(none) << errorOf(none);
  EXPECT_TRUE(none->duplicate);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, msg.seq + 1);
}

TEST_P(StoreContract, ReactionsAreRefusedOffMembersDeadTargetsAndPastTheLimit) {
  User alice = user("alice");
  User mallory = user("mallory");
  Room priv = group(alice.id, false);
  Room pub = group(alice.id, true, "pub");
  StoredEvent msg = send(priv.id, alice.id, "m");
  StoredEvent pmsg = send(pub.id, alice.id, "p");
  auto r = [&](EventKind k, RoomId room, UserId who, Seq seq, const std::string& e, int max = 20) {
    return run(store().append(reaction(change(k, room, who, seq), e, max)));
  };
  EXPECT_EQ(codeOf(r(EventKind::react, priv.id, mallory.id, msg.seq, "👍")), Code::not_found);
  EXPECT_EQ(codeOf(r(EventKind::react, pub.id, mallory.id, pmsg.seq, "👍")), Code::not_member);
  EXPECT_EQ(codeOf(r(EventKind::react, 999999, alice.id, 1, "👍")), Code::not_found);
  EXPECT_EQ(codeOf(r(EventKind::react, priv.id, alice.id, msg.seq + 5, "👍")), Code::not_found);
  ASSERT_TRUE(r(EventKind::react, priv.id, alice.id, msg.seq, "a", 2));
  ASSERT_TRUE(r(EventKind::react, priv.id, alice.id, msg.seq, "b", 2));
  EXPECT_EQ(codeOf(r(EventKind::react, priv.id, alice.id, msg.seq, "c", 2)), Code::conflict);
  // A reaction event is not a message.
  EXPECT_EQ(codeOf(r(EventKind::react, priv.id, alice.id, msg.seq + 1, "a")), Code::not_found);
  // A deleted message loses its reactions and takes no more.
  ASSERT_TRUE(run(store().append(change(EventKind::del, priv.id, alice.id, msg.seq))));
  EXPECT_EQ(run(store().eventAt(priv.id, msg.seq))->reactions, "");
  EXPECT_EQ(codeOf(r(EventKind::react, priv.id, alice.id, msg.seq, "a")), Code::not_found);
  EXPECT_TRUE(run(store().reactionsBy(priv.id, alice.id, 0, kSeqMax))->empty());
  EXPECT_EQ(run(store().roomById(priv.id))->last_seq, msg.seq + 3);
}

}  // namespace parley::store_contract
