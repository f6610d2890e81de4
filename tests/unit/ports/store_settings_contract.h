// The Store contract for room settings (src/ports/store.h: changeRoomSettings). Included by
// store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

// A change sets every setting and appends a settings event at the next seq, in one
// transaction: the row and the event say the same.
TEST_P(StoreContract, RoomSettingsChangeIsATimelineEvent) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  EXPECT_FALSE(room.archived);
  EXPECT_EQ(room.post, WhoMay::all);
  StoredEvent m1 = send(room.id, alice.id, "m1");

  auto changed = changeSettings(room.id, alice.id, [](SettingsChange& c) {
    c.name = "renamed ✓";
    c.topic = "the topic";
    c.is_public = true;
    c.archived = true;
    c.post = WhoMay::admins;
    c.room_mentions = WhoMay::admins;
    c.pins = WhoMay::all;
  });
  ASSERT_TRUE(changed) << errorOf(changed);
  const StoredEvent& e = changed->event;
  EXPECT_EQ(e.kind, EventKind::settings);
  EXPECT_EQ(e.seq, m1.seq + 1);
  EXPECT_EQ(e.sender, alice.id);
  EXPECT_EQ(e.sealed_body, "sealed-settings");
  EXPECT_EQ(e.key_version, 2u);
  EXPECT_EQ(changed->room.last_seq, e.seq);
  for (const Room& r : {changed->room, run(store().roomById(room.id)).value()}) {
    EXPECT_EQ(r.name, "renamed ✓");
    EXPECT_EQ(r.topic, "the topic");
    EXPECT_TRUE(r.is_public);
    EXPECT_TRUE(r.archived);
    EXPECT_EQ(r.post, WhoMay::admins);
    EXPECT_EQ(r.room_mentions, WhoMay::admins);
    EXPECT_EQ(r.pins, WhoMay::all);
  }

  // the event is read back as stored, in the timeline, and not as a message
  auto stored = run(store().eventAt(room.id, e.seq));
  ASSERT_TRUE(stored) << errorOf(stored);
  EXPECT_EQ(stored->kind, EventKind::settings);
  EXPECT_EQ(stored->sealed_body, "sealed-settings");
  EXPECT_EQ(stored->event_id, e.event_id);
  EXPECT_EQ(seqsOf(EventQuery{.room_id = room.id}), (std::vector<Seq>{m1.seq, e.seq}));
  EXPECT_EQ(seqsOf(EventQuery{.room_id = room.id, .messages_only = true}),
            std::vector<Seq>{m1.seq});
  // and the room is listed with its new settings
  auto mine = run(store().roomsOf(alice.id));
  ASSERT_TRUE(mine) << errorOf(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_TRUE((*mine)[0].room.archived);
  EXPECT_EQ((*mine)[0].room.post, WhoMay::admins);

  // back again: a second event, the row follows the newest
  auto back = changeSettings(room.id, bob.id, [](SettingsChange& c) {
    c.archived = false;
    c.post = WhoMay::all;
  });
  ASSERT_TRUE(back) << errorOf(back);
  EXPECT_EQ(back->event.seq, e.seq + 1);
  EXPECT_FALSE(run(store().roomById(room.id))->archived);
  EXPECT_EQ(run(store().roomById(room.id))->name, "renamed ✓");
}

TEST_P(StoreContract, RoomSettingsOfWhatHasNoneAreRefused) {
  User alice = user("alice");
  User bob = user("bob");
  auto direct = run(store().directRoom(alice.id, bob.id, 1000));
  ASSERT_TRUE(direct) << errorOf(direct);
  auto refused = changeSettings(direct->id, alice.id, [](SettingsChange& c) { c.name = "x"; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::forbidden);
  EXPECT_EQ(run(store().roomById(direct->id))->last_seq, 0);

  auto missing = changeSettings(direct->id + 1000, alice.id, [](SettingsChange&) {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);

  Room room = group(alice.id);
  ASSERT_TRUE(run(store().deleteRoom(room.id, 5000)));
  auto deleted = changeSettings(room.id, alice.id, [](SettingsChange& c) { c.name = "x"; });
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, Code::not_found);
}

}  // namespace parley::store_contract
