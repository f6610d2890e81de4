// The behaviour every Store adapter must show (src/ports/store.h), as one
// value-parameterised suite. An adapter's test instantiates it with a factory that returns
// a fresh, empty store on every call:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(makeFreshStore));
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <future>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ports/store.h"

namespace parley::store_contract {

using StoreFactory = std::function<StorePtr()>;

// Runs one task to completion on a private io_context.
template <class T>
T run(Task<T> task) {
  boost::asio::io_context ioc;
  auto result = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  ioc.run();
  return result.get();
}

// Runs all tasks concurrently on one io_context served by `threads` threads.
template <class T>
std::vector<T> runAll(std::vector<Task<T>> tasks, int threads = 4) {
  boost::asio::io_context ioc;
  std::vector<std::future<T>> futures;
  for (auto& t : tasks) {
    futures.push_back(boost::asio::co_spawn(ioc, std::move(t), boost::asio::use_future));
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  std::vector<T> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

// For failure messages: the error of a result, if any.
template <class R>
std::string errorOf(const R& r) {
  return r.has_error() ? std::string(codeName(r.error().code)) + ": " + r.error().message
                       : std::string("ok");
}

template <class R>
Code codeOf(const R& r) {
  EXPECT_TRUE(r.has_error()) << "expected an error";
  return r.has_error() ? r.error().code : Code::internal;
}

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam()();
    ASSERT_TRUE(store_);
  }

  Store& store() { return *store_; }

  User user(const std::string& name) {
    auto r = run(store_->createUser(name, "hash-of-" + name, 1000));
    EXPECT_TRUE(r) << errorOf(r);
    return r.value();
  }

  Room group(UserId owner, bool is_public = false, const std::string& name = "room") {
    NewRoom nr;
    nr.name = name;
    nr.topic = "topic";
    nr.is_public = is_public;
    nr.created_by = owner;
    nr.now = 2000;
    auto r = run(store_->createRoom(nr));
    EXPECT_TRUE(r) << errorOf(r);
    return r.value();
  }

  AppendRequest message(RoomId room, UserId sender, const std::string& client_msg_id,
                        Seq reply_to = 0) {
    AppendRequest r;
    r.room_id = room;
    r.kind = EventKind::message;
    r.event_id = "ev-" + std::to_string(++next_event_);
    r.sender = sender;
    r.client_msg_id = client_msg_id;
    r.reply_to = reply_to;
    r.now = 3000 + next_event_;
    r.key_version = 1;
    r.sealed_body = "sealed:" + client_msg_id;
    return r;
  }

  AppendRequest change(EventKind kind, RoomId room, UserId sender, Seq target) {
    AppendRequest r;
    r.room_id = room;
    r.kind = kind;
    r.event_id = "ev-" + std::to_string(++next_event_);
    r.sender = sender;
    r.target = target;
    r.now = 9000 + next_event_;
    r.key_version = 2;
    if (kind == EventKind::edit) {
      r.sealed_body = "sealed-edit-event";
      r.target_sealed_body = "sealed-new-body";
    }
    return r;
  }

  // A settings change of `room` that keeps every setting as the Store has it but what
  // `edit` changes, sent by `sender`.
  Result<SettingsChanged> changeSettings(RoomId room, UserId sender,
                                         const std::function<void(SettingsChange&)>& edit) {
    SettingsChange c;
    if (auto r = run(store_->roomById(room))) {
      c.name = r->name;
      c.topic = r->topic;
      c.is_public = r->is_public;
      c.archived = r->archived;
      c.post = r->post;
      c.room_mentions = r->room_mentions;
      c.pins = r->pins;
    }
    c.room_id = room;
    c.event_id = "ev-" + std::to_string(++next_event_);
    c.sender = sender;
    c.now = 9000 + next_event_;
    c.key_version = 2;
    c.sealed_body = "sealed-settings";
    edit(c);
    return run(store_->changeRoomSettings(c));
  }

  StoredEvent send(RoomId room, UserId sender, const std::string& client_msg_id) {
    auto r = run(store_->append(message(room, sender, client_msg_id)));
    EXPECT_TRUE(r) << errorOf(r);
    return r.value().event;
  }

  std::vector<Seq> seqsOf(const EventQuery& q) {
    auto r = run(store_->events(q));
    EXPECT_TRUE(r) << errorOf(r);
    std::vector<Seq> out;
    for (const auto& e : r.value()) out.push_back(e.seq);
    return out;
  }

  StorePtr store_;
  int next_event_ = 0;
};

// --- users ---

TEST_P(StoreContract, UsernamesAreUniqueCaseInsensitively) {
  User alice = user("Alice");
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.username, "Alice");
  EXPECT_EQ(codeOf(run(store().createUser("aLICE", "h", 1))), Code::conflict);

  auto found = run(store().userByName("ALICE"));
  ASSERT_TRUE(found) << errorOf(found);
  EXPECT_EQ(found->id, alice.id);
  EXPECT_EQ(found->username, "Alice");
  EXPECT_EQ(found->password_hash, "hash-of-Alice");
  EXPECT_EQ(found->created_at, 1000);
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(run(store().userById(alice.id))->username, "Alice");
}

TEST_P(StoreContract, UnknownUsersAreNotFound) {
  EXPECT_EQ(codeOf(run(store().userByName("nobody"))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().userById(424242))), Code::not_found);
}

// --- sessions ---

TEST_P(StoreContract, SessionsCanBeCreatedFoundTouchedListedAndDeleted) {
  User alice = user("alice");
  Session s;
  s.user_id = alice.id;
  s.token_hash = std::string("\x00\x01\xff token hash", 15);  // raw bytes, NUL included
  s.device = "laptop";
  s.ip = "10.0.0.1";
  s.created_at = 100;
  s.last_seen_at = 100;
  auto created = run(store().createSession(s));
  ASSERT_TRUE(created) << errorOf(created);
  EXPECT_GT(created->id, 0);

  auto found = run(store().sessionByTokenHash(s.token_hash));
  ASSERT_TRUE(found) << errorOf(found);
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->token_hash, s.token_hash);
  EXPECT_EQ(found->device, "laptop");
  EXPECT_EQ(codeOf(run(store().sessionByTokenHash("other"))), Code::not_found);

  ASSERT_TRUE(run(store().touchSession(created->id, 500, "10.0.0.2")));
  found = run(store().sessionByTokenHash(s.token_hash));
  EXPECT_EQ(found->last_seen_at, 500);
  EXPECT_EQ(found->ip, "10.0.0.2");
  EXPECT_EQ(codeOf(run(store().touchSession(999999, 500, "x"))), Code::not_found);

  Session second = s;
  second.token_hash = "second";
  ASSERT_TRUE(run(store().createSession(second)));
  auto listed = run(store().sessionsOf(alice.id));
  ASSERT_TRUE(listed) << errorOf(listed);
  EXPECT_EQ(listed->size(), 2u);

  ASSERT_TRUE(run(store().deleteSession(alice.id, created->id)));
  EXPECT_EQ(codeOf(run(store().sessionByTokenHash(s.token_hash))), Code::not_found);
  EXPECT_EQ(run(store().sessionsOf(alice.id))->size(), 1u);
  EXPECT_EQ(codeOf(run(store().deleteSession(alice.id, created->id))), Code::not_found);
}

TEST_P(StoreContract, DeletingAnotherUsersSessionIsNotFound) {
  User alice = user("alice");
  User mallory = user("mallory");
  Session s;
  s.user_id = alice.id;
  s.token_hash = "alice-token";
  auto created = run(store().createSession(s));
  ASSERT_TRUE(created) << errorOf(created);
  EXPECT_EQ(codeOf(run(store().deleteSession(mallory.id, created->id))), Code::not_found);
  EXPECT_TRUE(run(store().sessionByTokenHash("alice-token")));
}

// --- rooms ---

TEST_P(StoreContract, CreateRoomMakesTheCreatorOwner) {
  User alice = user("alice");
  Room room = group(alice.id, true, "general");
  EXPECT_GT(room.id, 0);
  EXPECT_EQ(room.kind, RoomKind::group);
  EXPECT_EQ(room.name, "general");
  EXPECT_EQ(room.last_seq, 0);

  auto me = run(store().member(room.id, alice.id));
  ASSERT_TRUE(me) << errorOf(me);
  EXPECT_EQ(me->role, Role::owner);
  EXPECT_EQ(me->username, "alice");
  auto fetched = run(store().roomById(room.id));
  ASSERT_TRUE(fetched) << errorOf(fetched);
  EXPECT_EQ(fetched->topic, "topic");
  EXPECT_TRUE(fetched->is_public);
  EXPECT_EQ(codeOf(run(store().roomById(room.id + 1000))), Code::not_found);
}

TEST_P(StoreContract, PublicRoomsListsOnlyPublicOnes) {
  User alice = user("alice");
  Room open1 = group(alice.id, true, "a");
  group(alice.id, false, "hidden");
  Room open2 = group(alice.id, true, "b");
  auto rooms = run(store().publicRooms(10));
  ASSERT_TRUE(rooms) << errorOf(rooms);
  ASSERT_EQ(rooms->size(), 2u);
  std::set<RoomId> ids{(*rooms)[0].id, (*rooms)[1].id};
  EXPECT_EQ(ids, (std::set<RoomId>{open1.id, open2.id}));
  EXPECT_EQ(run(store().publicRooms(1))->size(), 1u);
}

TEST_P(StoreContract, RoomKeysAreStoredPerVersion) {
  User alice = user("alice");
  Room room = group(alice.id);
  EXPECT_EQ(codeOf(run(store().latestRoomKey(room.id))), Code::not_found);
  ASSERT_TRUE(run(store().putRoomKey({room.id, 1, std::string("wrapped\0one", 11)})));
  ASSERT_TRUE(run(store().putRoomKey({room.id, 2, "wrapped-two"})));
  EXPECT_EQ(codeOf(run(store().putRoomKey({room.id, 2, "other"}))), Code::conflict);

  auto v1 = run(store().roomKey(room.id, 1));
  ASSERT_TRUE(v1) << errorOf(v1);
  EXPECT_EQ(v1->wrapped, std::string("wrapped\0one", 11));
  auto latest = run(store().latestRoomKey(room.id));
  ASSERT_TRUE(latest) << errorOf(latest);
  EXPECT_EQ(latest->version, 2u);
  EXPECT_EQ(latest->wrapped, "wrapped-two");
  EXPECT_EQ(codeOf(run(store().roomKey(room.id, 3))), Code::not_found);
}

TEST_P(StoreContract, RoomKeysCanBeWalkedAndRewrappedIfUnchanged) {
  User alice = user("alice");
  Room a = group(alice.id);
  Room b = group(alice.id);
  ASSERT_TRUE(run(store().putRoomKey({a.id, 1, "a1"})));
  ASSERT_TRUE(run(store().putRoomKey({a.id, 2, "a2"})));
  ASSERT_TRUE(run(store().putRoomKey({b.id, 1, std::string("b\0one", 5)})));
  // Pages of one, each resuming after the last key seen, in (room, version) order.
  std::vector<RoomKeyRecord> seen;
  RoomId room = 0;
  std::uint32_t version = 0;
  for (int page = 0; page < 10; ++page) {
    auto got = run(store().roomKeysAfter(room, version, 1));
    ASSERT_TRUE(got) << errorOf(got);
    if (got->empty()) break;
    ASSERT_EQ(got->size(), 1u);
    seen.push_back(got->front());
    room = got->front().room_id;
    version = got->front().version;
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].room_id, a.id);
  EXPECT_EQ(seen[0].version, 1u);
  EXPECT_EQ(seen[1].version, 2u);
  EXPECT_EQ(seen[2].room_id, b.id);
  EXPECT_EQ(seen[2].wrapped, std::string("b\0one", 5));

  EXPECT_EQ(codeOf(run(store().rewrapRoomKey({a.id, 1, "a1-new"}, "not-a1"))), Code::conflict);
  EXPECT_EQ(run(store().roomKey(a.id, 1))->wrapped, "a1");
  ASSERT_TRUE(run(store().rewrapRoomKey({a.id, 1, "a1-new"}, "a1")));
  EXPECT_EQ(run(store().roomKey(a.id, 1))->wrapped, "a1-new");
  EXPECT_EQ(run(store().roomKey(a.id, 2))->wrapped, "a2");
  EXPECT_EQ(codeOf(run(store().rewrapRoomKey({a.id, 9, "x"}, "a1"))), Code::conflict);

  ASSERT_TRUE(run(store().putWrappedSecret("s", "old")));
  EXPECT_EQ(codeOf(run(store().rewrapSecret("s", "new", "other"))), Code::conflict);
  ASSERT_TRUE(run(store().rewrapSecret("s", "new", "old")));
  EXPECT_EQ(run(store().wrappedSecret("s")).value(), "new");
  EXPECT_EQ(codeOf(run(store().rewrapSecret("none", "new", "old"))), Code::conflict);
}

TEST_P(StoreContract, DirectRoomIsTheSameForBothOrders) {
  User a = user("a");
  User b = user("b");
  User c = user("c");
  auto ab = run(store().directRoom(a.id, b.id, 10));
  ASSERT_TRUE(ab) << errorOf(ab);
  EXPECT_EQ(ab->kind, RoomKind::direct);
  auto ba = run(store().directRoom(b.id, a.id, 20));
  ASSERT_TRUE(ba) << errorOf(ba);
  EXPECT_EQ(ab->id, ba->id);
  auto ac = run(store().directRoom(a.id, c.id, 30));
  ASSERT_TRUE(ac) << errorOf(ac);
  EXPECT_NE(ac->id, ab->id);
  EXPECT_TRUE(run(store().member(ab->id, a.id)));
  EXPECT_TRUE(run(store().member(ab->id, b.id)));
  EXPECT_EQ(run(store().members(ab->id))->size(), 2u);
  EXPECT_EQ(codeOf(run(store().directRoom(a.id, a.id, 40))), Code::bad_request);
}

TEST_P(StoreContract, ConcurrentDirectRoomCallsAgree) {
  User a = user("a");
  User b = user("b");
  std::vector<Task<Result<Room>>> tasks;
  for (int i = 0; i < 32; ++i) {
    tasks.push_back(i % 2 ? store().directRoom(a.id, b.id, i) : store().directRoom(b.id, a.id, i));
  }
  std::set<RoomId> ids;
  for (auto& r : runAll(std::move(tasks))) {
    ASSERT_TRUE(r) << errorOf(r);
    ids.insert(r->id);
  }
  EXPECT_EQ(ids.size(), 1u);
}

// --- members ---

TEST_P(StoreContract, MembersCanBeAddedRemovedAndPromoted) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  EXPECT_EQ(codeOf(run(store().member(room.id, bob.id))), Code::not_found);

  auto added = run(store().addMember(room.id, bob.id, Role::member, 50));
  ASSERT_TRUE(added) << errorOf(added);
  EXPECT_EQ(added->username, "bob");
  EXPECT_EQ(added->role, Role::member);
  EXPECT_EQ(added->joined_at, 50);
  EXPECT_EQ(codeOf(run(store().addMember(room.id, bob.id, Role::admin, 60))), Code::conflict);
  EXPECT_EQ(codeOf(run(store().addMember(room.id + 99, bob.id, Role::member, 60))),
            Code::not_found);

  ASSERT_TRUE(run(store().setRole(room.id, bob.id, Role::admin)));
  EXPECT_EQ(run(store().member(room.id, bob.id))->role, Role::admin);

  auto all = run(store().members(room.id));
  ASSERT_TRUE(all) << errorOf(all);
  ASSERT_EQ(all->size(), 2u);
  std::set<std::string> names{(*all)[0].username, (*all)[1].username};
  EXPECT_EQ(names, (std::set<std::string>{"alice", "bob"}));

  ASSERT_TRUE(run(store().removeMember(room.id, bob.id)));
  EXPECT_EQ(codeOf(run(store().removeMember(room.id, bob.id))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().setRole(room.id, bob.id, Role::member))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().member(room.id, bob.id))), Code::not_found);
}

// A group room with members always has an owner: nobody could change a role otherwise.
TEST_P(StoreContract, TheLastOwnerOfAGroupRoomStays) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::admin, 1)));
  EXPECT_EQ(codeOf(run(store().removeMember(room.id, alice.id))), Code::conflict);
  EXPECT_EQ(codeOf(run(store().setRole(room.id, alice.id, Role::admin))), Code::conflict);
  EXPECT_EQ(codeOf(run(store().setRole(room.id, alice.id, Role::member))), Code::conflict);
  ASSERT_TRUE(run(store().setRole(room.id, alice.id, Role::owner)));  // no change: allowed
  EXPECT_EQ(run(store().member(room.id, alice.id))->role, Role::owner);
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 2);
  // A second owner: either may now step down or leave, but not both.
  ASSERT_TRUE(run(store().setRole(room.id, bob.id, Role::owner)));
  ASSERT_TRUE(run(store().setRole(room.id, alice.id, Role::member)));
  EXPECT_EQ(codeOf(run(store().removeMember(room.id, bob.id))), Code::conflict);
  ASSERT_TRUE(run(store().setRole(room.id, alice.id, Role::owner)));
  ASSERT_TRUE(run(store().removeMember(room.id, alice.id)));
  // The last member leaves whatever their role; the room is then empty.
  EXPECT_EQ(codeOf(run(store().setRole(room.id, bob.id, Role::admin))), Code::conflict);
  ASSERT_TRUE(run(store().removeMember(room.id, bob.id)));
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 0);
  // Direct rooms have no owner to keep.
  Room direct = run(store().directRoom(alice.id, bob.id, 1)).value();
  ASSERT_TRUE(run(store().removeMember(direct.id, alice.id)));
}

// Two owners leaving at once: exactly one goes (the check is inside the change's transaction).
TEST_P(StoreContract, TwoOwnersLeavingAtOnceLeaveOne) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  for (int round = 0; round < 10; ++round) {
    Room room = group(alice.id);
    ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::owner, 1)));
    ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 1)));
    std::vector<Task<Status>> tasks;
    tasks.push_back(store().removeMember(room.id, alice.id));
    tasks.push_back(store().removeMember(room.id, bob.id));
    auto both = runAll(std::move(tasks));
    EXPECT_NE(static_cast<bool>(both[0]), static_cast<bool>(both[1])) << round;
    auto left = run(store().members(room.id)).value();
    EXPECT_EQ(left.size(), 2u);
    EXPECT_EQ(std::count_if(left.begin(), left.end(),
                            [](const Member& m) { return m.role == Role::owner; }),
              1);
  }
}

TEST_P(StoreContract, CoMembersAreThoseSharingARoom) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  user("dave");
  Room r1 = group(alice.id);
  Room r2 = group(carol.id);
  ASSERT_TRUE(run(store().addMember(r1.id, bob.id, Role::member, 1)));
  ASSERT_TRUE(run(store().addMember(r2.id, alice.id, Role::member, 1)));
  ASSERT_TRUE(run(store().addMember(r2.id, bob.id, Role::member, 1)));
  auto co = run(store().coMembers(alice.id, 1000));
  ASSERT_TRUE(co) << errorOf(co);
  std::vector<UserId> got = *co;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<UserId>{bob.id, carol.id}));
}

TEST_P(StoreContract, MemberCountFollowsEveryMembershipChange) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 1);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 1)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 1)));
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 3);
  EXPECT_EQ(codeOf(run(store().addMember(room.id, bob.id, Role::member, 1))), Code::conflict);
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 3);
  ASSERT_TRUE(run(store().removeMember(room.id, bob.id)));
  EXPECT_EQ(codeOf(run(store().removeMember(room.id, bob.id))), Code::not_found);
  EXPECT_EQ(run(store().memberCount(room.id)).value(), 2);
  Room direct = run(store().directRoom(alice.id, bob.id, 1)).value();
  run(store().directRoom(bob.id, alice.id, 2)).value();  // the same room: still two
  EXPECT_EQ(run(store().memberCount(direct.id)).value(), 2);
  EXPECT_EQ(codeOf(run(store().memberCount(room.id + direct.id + 100))), Code::not_found);
}

TEST_P(StoreContract, MembersPageGoesByUserIdAfterTheCursor) {
  User alice = user("alice");
  std::vector<UserId> ids{alice.id};
  Room room = group(alice.id);
  for (int i = 0; i < 5; ++i) {
    User u = user("member" + std::to_string(i));
    ASSERT_TRUE(run(store().addMember(room.id, u.id, Role::member, 1)));
    ids.push_back(u.id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<UserId> seen;
  UserId after = 0;
  for (;;) {
    auto page = run(store().membersPage(room.id, after, 2));
    ASSERT_TRUE(page) << errorOf(page);
    ASSERT_LE(page->size(), 2u);
    if (page->empty()) break;
    for (auto& m : *page) {
      EXPECT_EQ(m.room_id, room.id);
      EXPECT_FALSE(m.username.empty());
      seen.push_back(m.user_id);
    }
    after = page->back().user_id;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_TRUE(run(store().membersPage(room.id + 100, 0, 10)).value().empty());
}

TEST_P(StoreContract, CoMembersSkipGroupRoomsAboveTheBoundButNeverDirectRooms) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  User dave = user("dave");
  User erin = user("erin");
  Room small = group(alice.id, false, "small");  // alice, bob: 2 members
  ASSERT_TRUE(run(store().addMember(small.id, bob.id, Role::member, 1)));
  Room big = group(alice.id, false, "big");  // alice, carol, dave: 3 members
  ASSERT_TRUE(run(store().addMember(big.id, carol.id, Role::member, 1)));
  ASSERT_TRUE(run(store().addMember(big.id, dave.id, Role::member, 1)));
  run(store().directRoom(alice.id, erin.id, 1)).value();
  auto sorted = [this](UserId u, std::int64_t bound) {
    auto co = run(store().coMembers(u, bound));
    EXPECT_TRUE(co) << errorOf(co);
    std::vector<UserId> got = co ? *co : std::vector<UserId>{};
    std::sort(got.begin(), got.end());
    return got;
  };
  EXPECT_EQ(sorted(alice.id, 3), (std::vector<UserId>{bob.id, carol.id, dave.id, erin.id}));
  EXPECT_EQ(sorted(alice.id, 2), (std::vector<UserId>{bob.id, erin.id}));
  EXPECT_EQ(sorted(alice.id, 0), (std::vector<UserId>{erin.id}));  // direct rooms always
  EXPECT_EQ(sorted(carol.id, 2), std::vector<UserId>{});
  // The big room shrinks to the bound: its members are peers again.
  ASSERT_TRUE(run(store().removeMember(big.id, dave.id)));
  EXPECT_EQ(sorted(carol.id, 2), std::vector<UserId>{alice.id});
  EXPECT_EQ(sorted(alice.id, 2), (std::vector<UserId>{bob.id, carol.id, erin.id}));
}

TEST_P(StoreContract, ReadMarkerOnlyMovesForward) {
  User alice = user("alice");
  Room room = group(alice.id);
  for (int i = 0; i < 5; ++i) send(room.id, alice.id, "m" + std::to_string(i));
  EXPECT_EQ(run(store().setReadMarker(room.id, alice.id, 3)).value(), 3);
  EXPECT_EQ(run(store().setReadMarker(room.id, alice.id, 1)).value(), 3);
  EXPECT_EQ(run(store().member(room.id, alice.id))->last_read_seq, 3);
  EXPECT_EQ(run(store().setReadMarker(room.id, alice.id, 5)).value(), 5);
  EXPECT_EQ(codeOf(run(store().setReadMarker(room.id, alice.id + 100, 1))), Code::not_found);
}

TEST_P(StoreContract, RoomsOfCountsUnreadAndShowsTheLastMessage) {
  User alice = user("alice");
  User bob = user("bob");
  Room quiet = group(alice.id, false, "quiet");
  Room busy = group(alice.id, false, "busy");
  ASSERT_TRUE(run(store().addMember(busy.id, bob.id, Role::member, 1)));
  send(busy.id, bob.id, "b1");                   // 1
  send(busy.id, alice.id, "a1");                 // 2 (mine: never unread)
  StoredEvent b3 = send(busy.id, bob.id, "b3");  // 3
  StoredEvent b4 = send(busy.id, bob.id, "b4");  // 4
  ASSERT_TRUE(run(store().append(change(EventKind::del, busy.id, bob.id, b3.seq))));  // 5
  ASSERT_TRUE(run(store().setReadMarker(busy.id, alice.id, 1)));

  auto rooms = run(store().roomsOf(alice.id));
  ASSERT_TRUE(rooms) << errorOf(rooms);
  ASSERT_EQ(rooms->size(), 2u);
  for (const RoomSummary& s : *rooms) {
    EXPECT_EQ(s.me.user_id, alice.id);
    EXPECT_EQ(s.me.role, Role::owner);
    if (s.room.id == quiet.id) {
      EXPECT_EQ(s.unread, 0);
      EXPECT_FALSE(s.last_message.has_value());
    } else {
      ASSERT_EQ(s.room.id, busy.id);
      EXPECT_EQ(s.room.last_seq, 5);
      EXPECT_EQ(s.me.last_read_seq, 1);
      EXPECT_EQ(s.unread, 1);  // b4 only: a1 is mine, b3 is deleted, seq 5 is a delete
      ASSERT_TRUE(s.last_message.has_value());
      EXPECT_EQ(s.last_message->seq, b4.seq);
    }
  }
  auto bobs = run(store().roomsOf(bob.id));
  ASSERT_TRUE(bobs) << errorOf(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].unread, 1);  // a1
}

// --- timeline ---

TEST_P(StoreContract, AppendAssignsConsecutiveSeqs) {
  User alice = user("alice");
  Room room = group(alice.id);
  for (Seq want = 1; want <= 3; ++want) {
    StoredEvent e = send(room.id, alice.id, "c" + std::to_string(want));
    EXPECT_EQ(e.seq, want);
    EXPECT_EQ(e.room_id, room.id);
    EXPECT_EQ(e.sealed_body, "sealed:c" + std::to_string(want));
  }
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 3);
  auto at = run(store().eventAt(room.id, 2));
  ASSERT_TRUE(at) << errorOf(at);
  EXPECT_EQ(at->client_msg_id, "c2");
  EXPECT_EQ(at->sender, alice.id);
  EXPECT_EQ(at->key_version, 1u);
  EXPECT_EQ(codeOf(run(store().eventAt(room.id, 4))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().append(message(room.id + 77, alice.id, "x")))), Code::not_found);
}

TEST_P(StoreContract, ReplyToMustNameAMessageOfTheRoom) {
  User alice = user("alice");
  Room room = group(alice.id);
  StoredEvent first = send(room.id, alice.id, "first");
  auto reply = run(store().append(message(room.id, alice.id, "reply", first.seq)));
  ASSERT_TRUE(reply) << errorOf(reply);
  EXPECT_EQ(reply->event.reply_to, first.seq);
  EXPECT_EQ(codeOf(run(store().append(message(room.id, alice.id, "bad", 42)))), Code::bad_request);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 2);
}

TEST_P(StoreContract, RetriedMessageReturnsTheOriginal) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 1)));
  StoredEvent original = send(room.id, alice.id, "same");

  AppendRequest retry = message(room.id, alice.id, "same");
  retry.sealed_body = "different";
  auto again = run(store().append(retry));
  ASSERT_TRUE(again) << errorOf(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.seq, original.seq);
  EXPECT_EQ(again->event.event_id, original.event_id);
  EXPECT_EQ(again->event.sealed_body, original.sealed_body);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 1);

  // The key is per sender: bob may use the same client_msg_id.
  StoredEvent bobs = send(room.id, bob.id, "same");
  EXPECT_EQ(bobs.seq, 2);
  EXPECT_FALSE(run(store().append(message(room.id, alice.id, "next")))->duplicate);
}

TEST_P(StoreContract, ConcurrentAppendsGetGaplessSeqs) {
  constexpr int kCount = 200;
  User alice = user("alice");
  Room room = group(alice.id);
  std::vector<Task<Result<AppendResult>>> tasks;
  for (int i = 0; i < kCount; ++i) {
    tasks.push_back(store().append(message(room.id, alice.id, "c" + std::to_string(i))));
  }
  std::vector<Seq> seqs;
  for (auto& r : runAll(std::move(tasks))) {
    ASSERT_TRUE(r) << errorOf(r);
    EXPECT_FALSE(r->duplicate);
    seqs.push_back(r->event.seq);
  }
  std::sort(seqs.begin(), seqs.end());
  std::vector<Seq> want(kCount);
  std::iota(want.begin(), want.end(), 1);
  EXPECT_EQ(seqs, want);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, kCount);
}

TEST_P(StoreContract, MessagesFromNonMembersStoreNothing) {
  User alice = user("alice");
  User bob = user("bob");
  Room priv = group(alice.id);
  Room pub = group(alice.id, true, "public");
  send(priv.id, alice.id, "a1");
  EXPECT_EQ(codeOf(run(store().append(message(priv.id, bob.id, "b1")))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().append(message(pub.id, bob.id, "b1")))), Code::not_member);
  // Checked when the append runs, before the retry lookup: a member who left is refused,
  // their retries too.
  ASSERT_TRUE(run(store().addMember(pub.id, bob.id, Role::member, 1)));
  StoredEvent mine = send(pub.id, bob.id, "b2");
  ASSERT_TRUE(run(store().removeMember(pub.id, bob.id)));
  EXPECT_EQ(codeOf(run(store().append(message(pub.id, bob.id, "b2")))), Code::not_member);
  EXPECT_EQ(codeOf(run(store().append(message(pub.id, bob.id, "b3")))), Code::not_member);
  EXPECT_EQ(run(store().roomById(priv.id))->last_seq, 1);
  EXPECT_EQ(run(store().roomById(pub.id))->last_seq, mine.seq);
  EventQuery q;
  q.room_id = pub.id;
  EXPECT_EQ(seqsOf(q), std::vector<Seq>{mine.seq});
}

// Concurrent appends (which an adapter may commit together) where some senders are not
// members: those are refused and take no seq; the others stay gapless.
TEST_P(StoreContract, ConcurrentAppendsRefuseNonMembersAlone) {
  constexpr int kCount = 60;
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id, true);
  std::vector<Task<Result<AppendResult>>> tasks;
  for (int i = 0; i < kCount; ++i) {
    UserId sender = i % 3 == 0 ? bob.id : alice.id;
    tasks.push_back(store().append(message(room.id, sender, "c" + std::to_string(i))));
  }
  std::vector<Seq> seqs;
  int refused = 0;
  for (auto& r : runAll(std::move(tasks))) {
    if (!r) {
      EXPECT_EQ(r.error().code, Code::not_member);
      ++refused;
      continue;
    }
    EXPECT_EQ(r->event.sender, alice.id);
    seqs.push_back(r->event.seq);
  }
  EXPECT_EQ(refused, kCount / 3);
  std::sort(seqs.begin(), seqs.end());
  std::vector<Seq> want(kCount - kCount / 3);
  std::iota(want.begin(), want.end(), 1);
  EXPECT_EQ(seqs, want);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, kCount - kCount / 3);
}

TEST_P(StoreContract, OnlyTheSenderMayEditAndEditsApplyToTheTarget) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 1)));
  StoredEvent msg = send(room.id, alice.id, "m");

  EXPECT_EQ(codeOf(run(store().append(change(EventKind::edit, room.id, bob.id, msg.seq)))),
            Code::forbidden);
  EXPECT_EQ(codeOf(run(store().append(change(EventKind::del, room.id, bob.id, msg.seq)))),
            Code::forbidden);
  EXPECT_EQ(codeOf(run(store().append(change(EventKind::edit, room.id, alice.id, 99)))),
            Code::not_found);

  auto edit = run(store().append(change(EventKind::edit, room.id, alice.id, msg.seq)));
  ASSERT_TRUE(edit) << errorOf(edit);
  EXPECT_EQ(edit->event.seq, 2);
  EXPECT_EQ(edit->event.kind, EventKind::edit);
  EXPECT_EQ(edit->event.target, msg.seq);
  EXPECT_EQ(codeOf(run(store().append(change(EventKind::edit, room.id, alice.id, 2)))),
            Code::not_found);  // an edit is not a message

  auto target = run(store().eventAt(room.id, msg.seq));
  ASSERT_TRUE(target) << errorOf(target);
  EXPECT_EQ(target->sealed_body, "sealed-new-body");
  EXPECT_EQ(target->key_version, 2u);
  EXPECT_EQ(target->edited_at, edit->event.created_at);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 2);
}

TEST_P(StoreContract, DeleteLeavesATombstone) {
  User alice = user("alice");
  Room room = group(alice.id);
  StoredEvent msg = send(room.id, alice.id, "m");
  auto del = run(store().append(change(EventKind::del, room.id, alice.id, msg.seq)));
  ASSERT_TRUE(del) << errorOf(del);
  EXPECT_EQ(del->event.kind, EventKind::del);
  EXPECT_EQ(del->event.seq, 2);
  EXPECT_TRUE(del->event.sealed_body.empty());

  auto target = run(store().eventAt(room.id, msg.seq));
  ASSERT_TRUE(target) << errorOf(target);
  EXPECT_TRUE(target->deleted);
  EXPECT_TRUE(target->sealed_body.empty());
  EXPECT_EQ(codeOf(run(store().append(change(EventKind::edit, room.id, alice.id, msg.seq)))),
            Code::not_found);
  EXPECT_EQ(codeOf(run(store().append(change(EventKind::del, room.id, alice.id, msg.seq)))),
            Code::not_found);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 2);
}

TEST_P(StoreContract, EventsQueriesSelectRangesAscending) {
  User alice = user("alice");
  Room room = group(alice.id);
  for (int i = 1; i <= 6; ++i) send(room.id, alice.id, "m" + std::to_string(i));
  ASSERT_TRUE(run(store().append(change(EventKind::edit, room.id, alice.id, 2))));  // 7
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, alice.id, 3))));   // 8
  send(room.id, alice.id, "m9");                                                    // 9

  using V = std::vector<Seq>;
  EventQuery q;
  q.room_id = room.id;
  q.limit = 50;
  EXPECT_EQ(seqsOf(q), (V{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  q.limit = 3;
  EXPECT_EQ(seqsOf(q), (V{1, 2, 3}));
  q.newest_first = true;
  EXPECT_EQ(seqsOf(q), (V{7, 8, 9}));
  q.after = 2;
  q.before = 6;
  EXPECT_EQ(seqsOf(q), (V{3, 4, 5}));
  q.newest_first = false;
  q.limit = 2;
  EXPECT_EQ(seqsOf(q), (V{3, 4}));

  EventQuery messages;
  messages.room_id = room.id;
  messages.messages_only = true;
  messages.after = 1;
  EXPECT_EQ(seqsOf(messages), (V{2, 3, 4, 5, 6, 9}));
  messages.newest_first = true;
  messages.limit = 2;
  EXPECT_EQ(seqsOf(messages), (V{6, 9}));

  auto shown = run(store().events(EventQuery{.room_id = room.id,
                                             .after = 1,
                                             .before = 4,
                                             .limit = 10,
                                             .newest_first = false,
                                             .messages_only = true}));
  ASSERT_TRUE(shown) << errorOf(shown);
  ASSERT_EQ(shown->size(), 2u);
  EXPECT_EQ((*shown)[0].sealed_body, "sealed-new-body");  // the edit applied
  EXPECT_TRUE((*shown)[1].deleted);                       // the delete applied

  EventQuery other;
  other.room_id = room.id + 1000;
  EXPECT_TRUE(seqsOf(other).empty());
}

TEST_P(StoreContract, ResumesTheCallerOnItsOwnExecutor) {
  User alice = user("alice");
  boost::asio::io_context ioc;
  auto check = [&]() -> Task<bool> {
    auto read = co_await store().userById(alice.id);
    const bool read_ok = read.has_value() && ioc.get_executor().running_in_this_thread();
    // Named arguments: g++ 12 mishandles temporaries inside co_await expressions.
    std::string name = "bob";
    std::string hash = "h";
    auto write = co_await store().createUser(std::move(name), std::move(hash), 1);
    co_return read_ok&& write.has_value() && ioc.get_executor().running_in_this_thread();
  };
  auto done = boost::asio::co_spawn(ioc, check(), boost::asio::use_future);
  ioc.run();
  EXPECT_TRUE(done.get());
}

TEST_P(StoreContract, AuditEventsAreKeptPerUserNewestFirst) {
  User alice = user("alice");
  User bob = user("bob");
  for (int i = 0; i < 3; ++i) {
    AuditEvent e{.user_id = alice.id,
                 .kind = "login_failed",
                 .ip = "10.0.0." + std::to_string(i),
                 .device = "phone",
                 .detail = "",
                 .at = 1000 + i};
    ASSERT_TRUE(run(store().recordAudit(e)));
  }
  AuditEvent other{.user_id = bob.id,
                   .kind = "login",
                   .ip = "127.0.0.1",
                   .device = "laptop",
                   .detail = "",
                   .at = 2000};
  ASSERT_TRUE(run(store().recordAudit(other)));

  auto mine = run(store().auditEvents(alice.id, 2));
  ASSERT_TRUE(mine) << errorOf(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].ip, "10.0.0.2");
  EXPECT_EQ((*mine)[1].ip, "10.0.0.1");
  EXPECT_EQ((*mine)[0].kind, "login_failed");
  EXPECT_EQ((*mine)[0].at, 1002);
  auto all = run(store().auditEvents(0, 10));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].user_id, bob.id);
}

TEST_P(StoreContract, UsersCanBeDisabledAndEnabled) {
  User alice = user("alice");
  ASSERT_TRUE(run(store().setUserDisabled(alice.id, true)));
  EXPECT_TRUE(run(store().userById(alice.id))->disabled);
  EXPECT_TRUE(run(store().userByName("alice"))->disabled);
  ASSERT_TRUE(run(store().setUserDisabled(alice.id, false)));
  EXPECT_FALSE(run(store().userById(alice.id))->disabled);
  EXPECT_EQ(codeOf(run(store().setUserDisabled(424242, true))), Code::not_found);
}

// --- files ---

inline FileRecord fileRecord(const std::string& id, RoomId room, UserId uploader,
                             Millis created = 5000) {
  return FileRecord{.id = id,
                    .room_id = room,
                    .uploader = uploader,
                    .sealed_name = std::string("sealed\0name", 11),
                    .size = 123456,
                    .mime = "image/png",
                    .image_width = 800,
                    .image_height = 600,
                    .thumb_size = 4321,
                    .key_version = 3,
                    .created_at = created,
                    .message_seq = 0};
}

TEST_P(StoreContract, FilesAreCreatedFoundAndAttachedByTheAppend) {
  User alice = user("alice");
  Room room = group(alice.id);
  const FileRecord f = fileRecord("file-a", room.id, alice.id);
  ASSERT_TRUE(run(store().createFile(f)));
  auto found = run(store().fileById("file-a"));
  ASSERT_TRUE(found) << errorOf(found);
  EXPECT_EQ(found->room_id, room.id);
  EXPECT_EQ(found->uploader, alice.id);
  EXPECT_EQ(found->sealed_name, f.sealed_name);
  EXPECT_EQ(found->size, 123456u);
  EXPECT_EQ(found->mime, "image/png");
  EXPECT_EQ(found->image_width, 800);
  EXPECT_EQ(found->image_height, 600);
  EXPECT_EQ(found->thumb_size, 4321u);
  EXPECT_EQ(found->key_version, 3u);
  EXPECT_EQ(found->created_at, 5000);
  EXPECT_EQ(found->message_seq, 0);
  EXPECT_EQ(codeOf(run(store().fileById("file-b"))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().createFile(f))), Code::conflict);
  EXPECT_EQ(codeOf(run(store().createFile(fileRecord("file-c", room.id + 50, alice.id)))),
            Code::not_found);

  send(room.id, alice.id, "before");
  ASSERT_TRUE(run(store().createFile(fileRecord("file-b", room.id, alice.id))));
  AppendRequest req = message(room.id, alice.id, "with-files");
  req.file_ids = {"file-b", "file-a"};
  auto sent = run(store().append(req));
  ASSERT_TRUE(sent) << errorOf(sent);
  EXPECT_EQ(sent->event.seq, 2);
  EXPECT_EQ(run(store().fileById("file-a"))->message_seq, 2);
  auto attached = run(store().filesOfMessage(room.id, 2));
  ASSERT_TRUE(attached) << errorOf(attached);
  ASSERT_EQ(attached->size(), 2u);
  EXPECT_EQ((*attached)[0].id, "file-a");
  EXPECT_EQ((*attached)[1].id, "file-b");
  EXPECT_TRUE(run(store().filesOfMessage(room.id, 1))->empty());

  // A retry returns the original without re-checking its (now attached) files.
  auto retry = run(store().append(req));
  ASSERT_TRUE(retry) << errorOf(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->event.seq, 2);
}

TEST_P(StoreContract, AttachingRefusesFilesThatAreNotTheSendersUnattachedUploadsInTheRoom) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  Room other = group(alice.id, false, "other");
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 1)));
  ASSERT_TRUE(run(store().createFile(fileRecord("mine", room.id, alice.id))));
  ASSERT_TRUE(run(store().createFile(fileRecord("bobs", room.id, bob.id))));
  ASSERT_TRUE(run(store().createFile(fileRecord("elsewhere", other.id, alice.id))));
  ASSERT_TRUE(run(store().createFile(fileRecord("used", room.id, alice.id))));
  AppendRequest first = message(room.id, alice.id, "first");
  first.file_ids = {"used"};
  ASSERT_TRUE(run(store().append(first)));

  const std::vector<std::vector<std::string>> refused = {
      {"bobs"}, {"elsewhere"}, {"used"}, {"nope"}, {"mine", "nope"}, {"mine", "mine"}};
  for (const auto& ids : refused) {
    AppendRequest req = message(room.id, alice.id, "try-" + std::to_string(next_event_));
    req.file_ids = ids;
    EXPECT_EQ(codeOf(run(store().append(req))), Code::invalid_file) << ids.front();
  }
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 1);  // nothing was appended
  EXPECT_EQ(run(store().fileById("mine"))->message_seq, 0);
  EXPECT_EQ(run(store().fileById("bobs"))->message_seq, 0);

  AppendRequest ok = message(room.id, alice.id, "ok");
  ok.file_ids = {"mine"};
  ASSERT_TRUE(run(store().append(ok)));
  EXPECT_EQ(run(store().fileById("mine"))->message_seq, 2);
}

TEST_P(StoreContract, ConcurrentSendsAttachAFileOnlyOnce) {
  constexpr int kSenders = 8;
  User alice = user("alice");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().createFile(fileRecord("contested", room.id, alice.id))));
  std::vector<Task<Result<AppendResult>>> tasks;
  for (int i = 0; i < kSenders; ++i) {
    AppendRequest req = message(room.id, alice.id, "c" + std::to_string(i));
    req.file_ids = {"contested"};
    tasks.push_back(store().append(req));
  }
  int won = 0;
  for (auto& r : runAll(std::move(tasks))) {
    if (r) {
      ++won;
    } else {
      EXPECT_EQ(r.error().code, Code::invalid_file) << errorOf(r);
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, 1);
  EXPECT_EQ(run(store().fileById("contested"))->message_seq, 1);
}

TEST_P(StoreContract, DeletingAMessageDeletesItsFilesRows) {
  User alice = user("alice");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().createFile(fileRecord("f1", room.id, alice.id))));
  ASSERT_TRUE(run(store().createFile(fileRecord("f2", room.id, alice.id))));
  AppendRequest req = message(room.id, alice.id, "m");
  req.file_ids = {"f1"};
  auto sent = run(store().append(req));
  ASSERT_TRUE(sent) << errorOf(sent);
  auto del = run(store().append(change(EventKind::del, room.id, alice.id, sent->event.seq)));
  ASSERT_TRUE(del) << errorOf(del);
  EXPECT_EQ(codeOf(run(store().fileById("f1"))), Code::not_found);
  EXPECT_TRUE(run(store().filesOfMessage(room.id, sent->event.seq))->empty());
  EXPECT_TRUE(run(store().fileById("f2")));  // not attached to it: kept
}

TEST_P(StoreContract, UnattachedFilesAreListedOldestFirstAndDeletedOnlyWhileUnattached) {
  User alice = user("alice");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().createFile(fileRecord("old2", room.id, alice.id, 200))));
  ASSERT_TRUE(run(store().createFile(fileRecord("old1", room.id, alice.id, 100))));
  ASSERT_TRUE(run(store().createFile(fileRecord("oldused", room.id, alice.id, 150))));
  ASSERT_TRUE(run(store().createFile(fileRecord("new", room.id, alice.id, 900))));
  AppendRequest req = message(room.id, alice.id, "m");
  req.file_ids = {"oldused"};
  ASSERT_TRUE(run(store().append(req)));

  auto list = run(store().unattachedFiles(500, 10));
  ASSERT_TRUE(list) << errorOf(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "old1");
  EXPECT_EQ((*list)[1].id, "old2");
  EXPECT_EQ(run(store().unattachedFiles(500, 1))->size(), 1u);

  EXPECT_EQ(codeOf(run(store().deleteUnattachedFile("oldused"))), Code::not_found);
  EXPECT_TRUE(run(store().fileById("oldused")));
  ASSERT_TRUE(run(store().deleteUnattachedFile("old1")));
  EXPECT_EQ(codeOf(run(store().deleteUnattachedFile("old1"))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().fileById("old1"))), Code::not_found);
  EXPECT_EQ(run(store().unattachedFiles(500, 10))->size(), 1u);
}

TEST_P(StoreContract, UnattachedUsageCountsOnlyTheUploadersUnattachedFiles) {
  User alice = user("alice");
  User bob = user("bob");
  Room room = group(alice.id);
  auto none = run(store().unattachedUsage(alice.id));
  ASSERT_TRUE(none) << errorOf(none);
  EXPECT_EQ(none->count, 0u);
  EXPECT_EQ(none->bytes, 0u);
  FileRecord a = fileRecord("a", room.id, alice.id);
  a.size = 1000;
  FileRecord b = fileRecord("b", room.id, alice.id);
  b.size = 5'000'000'000;  // past 32 bits
  FileRecord used = fileRecord("used", room.id, alice.id);
  used.size = 7;
  FileRecord bobs = fileRecord("bobs", room.id, bob.id);
  bobs.size = 3;
  for (auto* f : {&a, &b, &used, &bobs}) ASSERT_TRUE(run(store().createFile(*f)));
  AppendRequest req = message(room.id, alice.id, "m");
  req.file_ids = {"used"};
  ASSERT_TRUE(run(store().append(req)));
  auto mine = run(store().unattachedUsage(alice.id));
  ASSERT_TRUE(mine) << errorOf(mine);
  EXPECT_EQ(mine->count, 2u);
  EXPECT_EQ(mine->bytes, 5'000'001'000u);
  EXPECT_EQ(run(store().unattachedUsage(bob.id))->count, 1u);
  ASSERT_TRUE(run(store().deleteUnattachedFile("a")));
  EXPECT_EQ(run(store().unattachedUsage(alice.id))->bytes, 5'000'000'000u);
}

}  // namespace parley::store_contract

#include "ports/store_accounts_contract.h"
#include "ports/store_audit_contract.h"
#include "ports/store_deletion_contract.h"
#include "ports/store_mentions_contract.h"
#include "ports/store_people_contract.h"
#include "ports/store_pins_contract.h"
#include "ports/store_profiles_contract.h"
#include "ports/store_reactions_contract.h"
#include "ports/store_settings_contract.h"
#include "ports/store_threads_contract.h"
