// The Store contract for pins (src/ports/store.h: append of kind pin/unpin, Store::pins).
// Included by store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

TEST_P(StoreContract, PinsAreTimelineEventsAndAListNewestFirst) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  StoredEvent m1 = send(room.id, bob.id, "m1");
  StoredEvent m2 = send(room.id, bob.id, "m2");

  auto p1 = run(store().append(change(EventKind::pin, room.id, alice.id, m1.seq)));
  ASSERT_TRUE(p1) << errorOf(p1);
  EXPECT_FALSE(p1->duplicate);
  EXPECT_EQ(p1->event.kind, EventKind::pin);
  EXPECT_EQ(p1->event.target, m1.seq);
  EXPECT_EQ(p1->event.seq, m2.seq + 1);
  auto p2 = run(store().append(change(EventKind::pin, room.id, alice.id, m2.seq)));
  ASSERT_TRUE(p2) << errorOf(p2);
  // pinning again changes nothing
  auto again = run(store().append(change(EventKind::pin, room.id, alice.id, m1.seq)));
  ASSERT_TRUE(again) << errorOf(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.seq, m1.seq);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, p2->event.seq);

  auto list = run(store().pins(room.id));
  ASSERT_TRUE(list) << errorOf(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].message.seq, m2.seq);
  EXPECT_EQ((*list)[0].pin_seq, p2->event.seq);
  EXPECT_EQ((*list)[0].pinned_by, alice.id);
  EXPECT_EQ((*list)[1].message.seq, m1.seq);
  EXPECT_EQ((*list)[1].message.sealed_body, "sealed:m1");

  // a plain member may not pin while pins are for admins; may once they are for all
  auto refused = run(store().append(change(EventKind::unpin, room.id, bob.id, m1.seq)));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::forbidden);
  ASSERT_TRUE(changeSettings(room.id, alice.id, [](SettingsChange& c) { c.pins = WhoMay::all; }));
  auto unpinned = run(store().append(change(EventKind::unpin, room.id, bob.id, m1.seq)));
  ASSERT_TRUE(unpinned) << errorOf(unpinned);
  EXPECT_EQ(unpinned->event.kind, EventKind::unpin);
  auto unpin_again = run(store().append(change(EventKind::unpin, room.id, bob.id, m1.seq)));
  ASSERT_TRUE(unpin_again) << errorOf(unpin_again);
  EXPECT_TRUE(unpin_again->duplicate);

  // deleting a pinned message unpins it
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, bob.id, m2.seq))));
  list = run(store().pins(room.id));
  ASSERT_TRUE(list) << errorOf(list);
  EXPECT_TRUE(list->empty());

  // what cannot be pinned: a deleted message, an event that is no message, nothing
  for (Seq target : {m2.seq, p1->event.seq, Seq{10'000}}) {
    auto bad = run(store().append(change(EventKind::pin, room.id, alice.id, target)));
    ASSERT_FALSE(bad) << target;
    EXPECT_EQ(bad.error().code, Code::not_found) << target;
  }
  // a non-member: as for a message
  User carol = user("carol");
  auto outsider = run(store().append(change(EventKind::pin, room.id, carol.id, m1.seq)));
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, Code::not_found);
}

TEST_P(StoreContract, ARoomHoldsAtMostMaxPins) {
  User alice = user("alice");
  Room room = group(alice.id);
  std::vector<StoredEvent> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(send(room.id, alice.id, "m" + std::to_string(i)));
  for (int i = 0; i < 2; ++i) {
    AppendRequest r = change(EventKind::pin, room.id, alice.id, sent[i].seq);
    r.max_pins = 2;
    ASSERT_TRUE(run(store().append(r)));
  }
  const Seq last = run(store().roomById(room.id))->last_seq;
  AppendRequest r = change(EventKind::pin, room.id, alice.id, sent[2].seq);
  r.max_pins = 2;
  auto over = run(store().append(r));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Code::conflict);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, last);
}

}  // namespace parley::store_contract
