// The Store contract for mentions (src/ports/store.h: AppendRequest::mention_names and the
// flags, StoredEvent::mentions, RoomSummary::mentions), the room settings that restrict
// them and the members' notification levels. Included by store_contract.h, so every
// adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

TEST_P(StoreContract, MentionsResolveToMembersAtCommit) {
  User alice = user("alice");
  User bob = user("Bob");
  User carol = user("carol");
  User dave = user("dave");  // never a member
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 2500)));

  AppendRequest r = message(room.id, alice.id, "m1");
  r.mention_names = {"carol", "BOB", "dave", "nobody", "bob"};
  auto sent = run(store().append(r));
  ASSERT_TRUE(sent) << errorOf(sent);
  const std::vector<UserId> both = {std::min(bob.id, carol.id), std::max(bob.id, carol.id)};
  EXPECT_EQ(sent->event.mentions, both);
  EXPECT_FALSE(sent->event.mention_room);
  EXPECT_FALSE(sent->event.mention_here);
  auto stored = run(store().eventAt(room.id, sent->event.seq));
  ASSERT_TRUE(stored) << errorOf(stored);
  EXPECT_EQ(stored->mentions, both);
  // a retry answers with the original's mentions
  auto again = run(store().append(r));
  ASSERT_TRUE(again) << errorOf(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.mentions, both);

  // a removed member is no longer a mention
  ASSERT_TRUE(run(store().removeMember(room.id, carol.id)));
  AppendRequest r2 = message(room.id, alice.id, "m2");
  r2.mention_names = {"carol", "bob"};
  r2.mention_here = true;
  auto sent2 = run(store().append(r2));
  ASSERT_TRUE(sent2) << errorOf(sent2);
  EXPECT_EQ(sent2->event.mentions, std::vector<UserId>{bob.id});
  EXPECT_TRUE(sent2->event.mention_here);
  auto page = run(store().events(EventQuery{.room_id = room.id, .limit = 10}));
  ASSERT_TRUE(page) << errorOf(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[1].mentions, std::vector<UserId>{bob.id});
  EXPECT_FALSE((*page)[1].mention_room);
  EXPECT_TRUE((*page)[1].mention_here);
}

TEST_P(StoreContract, AnEditReplacesTheMentionsAndADeleteClearsThem) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 2500)));
  AppendRequest r = message(room.id, alice.id, "m1");
  r.mention_names = {"bob"};
  auto sent = run(store().append(r));
  ASSERT_TRUE(sent) << errorOf(sent);

  AppendRequest edit = change(EventKind::edit, room.id, alice.id, sent->event.seq);
  edit.mention_names = {"carol"};
  edit.mention_room = true;
  auto edited = run(store().append(edit));
  ASSERT_TRUE(edited) << errorOf(edited);
  EXPECT_EQ(edited->event.mentions, std::vector<UserId>{carol.id});
  EXPECT_TRUE(edited->event.mention_room);
  auto target = run(store().eventAt(room.id, sent->event.seq));
  ASSERT_TRUE(target) << errorOf(target);
  EXPECT_EQ(target->mentions, std::vector<UserId>{carol.id});
  EXPECT_TRUE(target->mention_room);
  auto edit_row = run(store().eventAt(room.id, edited->event.seq));
  ASSERT_TRUE(edit_row) << errorOf(edit_row);
  EXPECT_EQ(edit_row->mentions, std::vector<UserId>{carol.id});

  auto del = run(store().append(change(EventKind::del, room.id, alice.id, sent->event.seq)));
  ASSERT_TRUE(del) << errorOf(del);
  EXPECT_TRUE(del->event.mentions.empty());
  target = run(store().eventAt(room.id, sent->event.seq));
  ASSERT_TRUE(target) << errorOf(target);
  EXPECT_TRUE(target->mentions.empty());
  EXPECT_FALSE(target->mention_room);
}

TEST_P(StoreContract, RoomsCountTheUnreadMessagesThatMentionMe) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 2500)));
  auto mention = [&](UserId from, const std::string& id, std::vector<std::string> names,
                     bool at_room, bool here) {
    AppendRequest r = message(room.id, from, id);
    r.mention_names = std::move(names);
    r.mention_room = at_room;
    r.mention_here = here;
    auto a = run(store().append(r));
    EXPECT_TRUE(a) << errorOf(a);
    return a.value().event;
  };
  StoredEvent first = mention(alice.id, "a1", {"bob"}, false, false);
  mention(alice.id, "a2", {"carol"}, false, false);
  mention(alice.id, "a3", {}, true, false);
  StoredEvent here = mention(carol.id, "c1", {}, false, true);
  mention(bob.id, "b1", {"bob"}, true, false);  // my own: never counted
  send(room.id, alice.id, "plain");
  // a reply in a thread mentioning me counts in its thread, not the room
  AppendRequest reply = message(room.id, alice.id, "t1");
  reply.thread_root = first.seq;
  reply.mention_names = {"bob"};
  ASSERT_TRUE(run(store().append(reply)));
  // a deleted one no longer counts
  StoredEvent gone = mention(alice.id, "a4", {"bob"}, false, false);
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, alice.id, gone.seq))));

  auto count = [&](UserId who) -> std::pair<std::int64_t, std::int64_t> {
    auto rooms = run(store().roomsOf(who));
    EXPECT_TRUE(rooms) << errorOf(rooms);
    if (!rooms || rooms->size() != 1) return {-1, -1};
    return {(*rooms)[0].unread, (*rooms)[0].mentions};
  };
  EXPECT_EQ(count(bob.id), (std::pair<std::int64_t, std::int64_t>{5, 3}));
  EXPECT_EQ(count(carol.id), (std::pair<std::int64_t, std::int64_t>{5, 3}));
  // past my marker they are read
  ASSERT_TRUE(run(store().setReadMarker(room.id, bob.id, here.seq - 1)));
  EXPECT_EQ(count(bob.id), (std::pair<std::int64_t, std::int64_t>{2, 1}));
}

TEST_P(StoreContract, RoomMentionsMayBeForOwnersAndAdminsOnly) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  EXPECT_EQ(room.room_mentions, WhoMay::all);
  EXPECT_EQ(room.pins, WhoMay::admins);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::admin, 2500)));
  auto changed = changeSettings(room.id, alice.id,
                                [](SettingsChange& c) { c.room_mentions = WhoMay::admins; });
  ASSERT_TRUE(changed) << errorOf(changed);
  EXPECT_EQ(changed->room.room_mentions, WhoMay::admins);
  EXPECT_EQ(changed->room.pins, WhoMay::admins);
  EXPECT_EQ(run(store().roomById(room.id))->room_mentions, WhoMay::admins);

  auto say = [&](UserId from, const std::string& id) {
    AppendRequest r = message(room.id, from, id);
    r.mention_names = {"alice"};
    r.mention_room = true;
    r.mention_here = true;
    auto a = run(store().append(r));
    EXPECT_TRUE(a) << errorOf(a);
    return a.value().event;
  };
  StoredEvent plain = say(bob.id, "b1");  // a plain member: names only
  EXPECT_EQ(plain.mentions, std::vector<UserId>{alice.id});
  EXPECT_FALSE(plain.mention_room);
  EXPECT_FALSE(plain.mention_here);
  EXPECT_FALSE(run(store().eventAt(room.id, plain.seq))->mention_room);
  StoredEvent admin = say(carol.id, "c1");
  EXPECT_TRUE(admin.mention_room);
  EXPECT_TRUE(admin.mention_here);
  EXPECT_TRUE(say(alice.id, "a1").mention_room);  // the owner
  // a plain member's edit keeps to the rule too
  AppendRequest edit = change(EventKind::edit, room.id, bob.id, plain.seq);
  edit.mention_room = true;
  auto edited = run(store().append(edit));
  ASSERT_TRUE(edited) << errorOf(edited);
  EXPECT_FALSE(edited->event.mention_room);

  ASSERT_TRUE(changeSettings(room.id, alice.id, [](SettingsChange& c) {
    c.room_mentions = WhoMay::all;
    c.pins = WhoMay::all;
  }));
  EXPECT_TRUE(say(bob.id, "b2").mention_room);
  EXPECT_EQ(run(store().roomById(room.id))->pins, WhoMay::all);
}

TEST_P(StoreContract, NotificationLevelsArePerMember) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  auto me = run(store().member(room.id, bob.id));
  ASSERT_TRUE(me) << errorOf(me);
  EXPECT_EQ(me->notify, NotifyLevel::all);
  EXPECT_FALSE(me->muted);
  ASSERT_TRUE(run(store().setNotifications(room.id, bob.id, NotifyLevel::mentions, true)));
  me = run(store().member(room.id, bob.id));
  EXPECT_EQ(me->notify, NotifyLevel::mentions);
  EXPECT_TRUE(me->muted);
  auto rooms = run(store().roomsOf(bob.id));
  ASSERT_TRUE(rooms) << errorOf(rooms);
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ((*rooms)[0].me.notify, NotifyLevel::mentions);
  EXPECT_TRUE((*rooms)[0].me.muted);
  // alice's are her own
  EXPECT_EQ(run(store().member(room.id, alice.id))->notify, NotifyLevel::all);
  User carol = user("carol");
  auto not_member = run(store().setNotifications(room.id, carol.id, NotifyLevel::none, false));
  ASSERT_FALSE(not_member);
  EXPECT_EQ(not_member.error().code, Code::not_found);
}

}  // namespace parley::store_contract
