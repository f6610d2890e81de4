// The Store contract for deleting rooms (src/ports/store.h, "deleting rooms"): the keys and
// members go in one step, the room answers as nonexistent from then on, its id is never
// reused, and purgeRoom removes the rest in resumable steps. Included by store_contract.h,
// so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

TEST_P(StoreContract, DeletingARoomTakesItsKeysAndMembersAtOnce) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id, true);
  Room other = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2100)));
  ASSERT_TRUE(run(store().putRoomKey(RoomKeyRecord{room.id, 1, "wrapped-1"})));
  ASSERT_TRUE(run(store().putRoomKey(RoomKeyRecord{other.id, 1, "wrapped-o"})));
  send(room.id, alice.id, "m1");

  auto members = run(store().deleteRoom(room.id, 5000));
  ASSERT_TRUE(members) << errorOf(members);
  EXPECT_EQ(*members, (std::vector<UserId>{alice.id, bob.id}));
  EXPECT_EQ(codeOf(run(store().roomById(room.id))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().member(room.id, alice.id))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().latestRoomKey(room.id))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().roomKey(room.id, 1))), Code::not_found);
  EXPECT_TRUE(run(store().roomsOf(alice.id)).value().size() == 1);
  for (const Room& r : run(store().publicRooms(100)).value()) EXPECT_NE(r.id, room.id);
  // A send (even by its former owner) is refused as for a room that does not exist.
  EXPECT_EQ(codeOf(run(store().append(message(room.id, alice.id, "late")))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().deleteRoom(room.id, 6000))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().deleteRoom(424242, 6000))), Code::not_found);
  // The other room is untouched; a new room never takes the deleted one's id.
  EXPECT_EQ(run(store().latestRoomKey(other.id)).value().wrapped, "wrapped-o");
  EXPECT_GT(group(alice.id).id, room.id);
}

TEST_P(StoreContract, PurgeRemovesADeletedRoomsRowsInSteps) {
  User alice = user("alice");
  Room room = group(alice.id);
  Room kept = group(alice.id);
  for (int i = 0; i < 5; ++i) send(room.id, alice.id, "m" + std::to_string(i));
  send(kept.id, alice.id, "k");
  ASSERT_TRUE(run(store().createFile(fileRecord("file-x", room.id, alice.id))));
  ASSERT_TRUE(run(store().createFile(fileRecord("file-k", kept.id, alice.id))));
  EXPECT_EQ(codeOf(run(store().purgeRoom(room.id, 10))), Code::not_found);  // not deleted
  EXPECT_TRUE(run(store().roomsToPurge(10)).value().empty());

  ASSERT_TRUE(run(store().deleteRoom(room.id, 5000)));
  EXPECT_EQ(run(store().roomsToPurge(10)).value(), std::vector<RoomId>{room.id});
  auto first = run(store().purgeRoom(room.id, 3));
  ASSERT_TRUE(first) << errorOf(first);
  ASSERT_EQ(first->files.size(), 1u);
  EXPECT_EQ(first->files[0].id, "file-x");
  EXPECT_EQ(first->events, 2);
  EXPECT_FALSE(first->done);
  int steps = 0;
  for (bool done = false; !done && steps < 10; ++steps) {
    auto step = run(store().purgeRoom(room.id, 3));
    ASSERT_TRUE(step) << errorOf(step);
    EXPECT_TRUE(step->files.empty());
    done = step->done;
  }
  EXPECT_LE(steps, 2);
  EXPECT_TRUE(run(store().roomsToPurge(10)).value().empty());
  EXPECT_EQ(codeOf(run(store().fileById("file-x"))), Code::not_found);
  EXPECT_TRUE(run(store().fileById("file-k")));
  EventQuery q;
  q.room_id = kept.id;
  EXPECT_EQ(seqsOf(q).size(), 1u);
}

}  // namespace parley::store_contract
