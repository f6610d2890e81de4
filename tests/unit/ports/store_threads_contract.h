// The Store contract for threads (src/ports/store.h: append of a message with thread_root,
// a delete of a reply, EventQuery::thread, the follows). Included by store_contract.h, so
// every adapter runs it and both write the same summary bytes.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

inline std::string summary(std::int64_t n, Millis last, const std::vector<UserId>& who) {
  return threadJson(ThreadSummary{n, last, who});
}

TEST_P(StoreContract, ARepliesSummaryIsKeptOnTheRootAndOnTheReply) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 2500)));
  StoredEvent root = send(room.id, alice.id, "root");
  EXPECT_EQ(root.thread_root, 0);
  EXPECT_EQ(root.thread, "");

  AppendRequest r1 = message(room.id, bob.id, "r1");
  r1.thread_root = root.seq;
  auto a1 = run(store().append(r1));
  ASSERT_TRUE(a1) << errorOf(a1);
  EXPECT_EQ(a1->event.thread_root, root.seq);
  EXPECT_EQ(a1->event.thread, summary(1, r1.now, {bob.id}));
  EXPECT_EQ(a1->event.thread, "{\"reply_count\":1,\"last_reply_at\":" + std::to_string(r1.now) +
                                  ",\"participants\":[" + std::to_string(bob.id) + "]}");

  AppendRequest r2 = message(room.id, carol.id, "r2");
  r2.thread_root = root.seq;
  ASSERT_TRUE(run(store().append(r2)));
  // a reply naming a reply goes to its root
  AppendRequest r3 = message(room.id, bob.id, "r3");
  r3.thread_root = a1->event.seq;
  auto a3 = run(store().append(r3));
  ASSERT_TRUE(a3) << errorOf(a3);
  EXPECT_EQ(a3->event.thread_root, root.seq);
  const std::string three = summary(3, r3.now, {bob.id, carol.id});
  EXPECT_EQ(a3->event.thread, three);
  EXPECT_EQ(run(store().eventAt(room.id, root.seq))->thread, three);
  EXPECT_EQ(run(store().eventAt(room.id, a3->event.seq))->thread, three);
  // a retry answers with the original
  auto again = run(store().append(r3));
  ASSERT_TRUE(again) << errorOf(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.seq, a3->event.seq);
  EXPECT_EQ(again->event.thread_root, root.seq);

  StoredEvent main = send(room.id, alice.id, "main");
  EventQuery main_q{.room_id = room.id, .limit = 10, .messages_only = true};
  main_q.thread = 0;
  EXPECT_EQ(seqsOf(main_q), (std::vector<Seq>{root.seq, main.seq}));
  EventQuery thread_q{.room_id = room.id, .limit = 10, .messages_only = true};
  thread_q.thread = root.seq;
  EXPECT_EQ(seqsOf(thread_q), (std::vector<Seq>{root.seq + 1, root.seq + 2, root.seq + 3}));
  thread_q.limit = 2;
  thread_q.newest_first = true;
  EXPECT_EQ(seqsOf(thread_q), (std::vector<Seq>{root.seq + 2, root.seq + 3}));

  // the room's unread and last message are the main timeline's
  auto rooms = run(store().roomsOf(bob.id));
  ASSERT_TRUE(rooms) << errorOf(rooms);
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ((*rooms)[0].unread, 2);
  ASSERT_TRUE((*rooms)[0].last_message);
  EXPECT_EQ((*rooms)[0].last_message->seq, main.seq);

  // deleting a reply: the delete event names the root and carries the new summary
  auto del = run(store().append(change(EventKind::del, room.id, carol.id, root.seq + 2)));
  ASSERT_TRUE(del) << errorOf(del);
  EXPECT_EQ(del->event.thread_root, root.seq);
  const std::string two = summary(2, r3.now, {bob.id});
  EXPECT_EQ(del->event.thread, two);
  EXPECT_EQ(run(store().eventAt(room.id, root.seq))->thread, two);
  auto stored_del = run(store().eventAt(room.id, del->event.seq));
  ASSERT_TRUE(stored_del) << errorOf(stored_del);
  EXPECT_EQ(stored_del->thread_root, root.seq);
  EXPECT_EQ(stored_del->thread, two);
  // a delete of a main-timeline message names no thread
  auto del_main = run(store().append(change(EventKind::del, room.id, alice.id, main.seq)));
  ASSERT_TRUE(del_main) << errorOf(del_main);
  EXPECT_EQ(del_main->event.thread_root, 0);
  EXPECT_EQ(del_main->event.thread, "");
  // deleting the root keeps its summary
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, alice.id, root.seq))));
  EXPECT_EQ(run(store().eventAt(room.id, root.seq))->thread, two);
}

TEST_P(StoreContract, AThreadRootMustBeALiveMainTimelineMessageOfTheRoom) {
  User alice = user("alice");
  Room room = group(alice.id);
  Room other = group(alice.id, false, "other");
  StoredEvent root = send(room.id, alice.id, "root");
  StoredEvent elsewhere = send(other.id, alice.id, "elsewhere");
  auto edit = run(store().append(change(EventKind::edit, room.id, alice.id, root.seq)));
  ASSERT_TRUE(edit) << errorOf(edit);
  StoredEvent gone = send(room.id, alice.id, "gone");
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, alice.id, gone.seq))));
  const Seq last = run(store().roomById(room.id))->last_seq;
  int n = 0;
  for (Seq bad : {elsewhere.seq + 100, edit->event.seq, gone.seq, Seq{999999}}) {
    AppendRequest r = message(room.id, alice.id, "bad" + std::to_string(n++));
    r.thread_root = bad;
    auto refused = run(store().append(r));
    EXPECT_EQ(codeOf(refused), Code::not_found) << bad;
  }
  // a reply whose root is deleted stands for a deleted root
  AppendRequest r = message(room.id, alice.id, "reply");
  r.thread_root = root.seq;
  auto reply = run(store().append(r));
  ASSERT_TRUE(reply) << errorOf(reply);
  ASSERT_TRUE(run(store().append(change(EventKind::del, room.id, alice.id, root.seq))));
  AppendRequest late = message(room.id, alice.id, "late");
  late.thread_root = reply->event.seq;
  EXPECT_EQ(codeOf(run(store().append(late))), Code::not_found);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, last + 2);
  // a non-member learns nothing about roots
  User mallory = user("mallory");
  AppendRequest m = message(room.id, mallory.id, "m");
  m.thread_root = 999999;
  EXPECT_EQ(codeOf(run(store().append(m))), Code::not_found);
  EXPECT_EQ(run(store().roomById(room.id))->last_seq, last + 2);
}

TEST_P(StoreContract, RepliesFollowAndFollowersCountUnread) {
  User alice = user("alice");
  User bob = user("bob");
  User carol = user("carol");
  Room room = group(alice.id);
  ASSERT_TRUE(run(store().addMember(room.id, bob.id, Role::member, 2500)));
  ASSERT_TRUE(run(store().addMember(room.id, carol.id, Role::member, 2500)));
  StoredEvent root = send(room.id, alice.id, "root");
  StoredEvent quiet = send(room.id, alice.id, "quiet");
  auto none = run(store().followedThreads(alice.id, 10));
  ASSERT_TRUE(none) << errorOf(none);
  EXPECT_TRUE(none->empty());

  AppendRequest r1 = message(room.id, bob.id, "r1");
  r1.thread_root = root.seq;
  auto a1 = run(store().append(r1));
  ASSERT_TRUE(a1) << errorOf(a1);
  auto of_alice = run(store().followedThreads(alice.id, 10));
  ASSERT_TRUE(of_alice) << errorOf(of_alice);
  ASSERT_EQ(of_alice->size(), 1u);
  EXPECT_EQ((*of_alice)[0].root.seq, root.seq);
  EXPECT_EQ((*of_alice)[0].root.thread, a1->event.thread);
  EXPECT_EQ((*of_alice)[0].unread, 1);
  auto of_bob = run(store().followedThreads(bob.id, 10));
  ASSERT_EQ(of_bob->size(), 1u);
  EXPECT_EQ((*of_bob)[0].unread, 0);
  EXPECT_EQ((*of_bob)[0].last_read_seq, a1->event.seq);
  EXPECT_TRUE(run(store().followedThreads(carol.id, 10))->empty());

  // carol follows both; the thread with the newest reply comes first
  ASSERT_TRUE(run(store().setThreadFollow(room.id, quiet.seq, carol.id, true, 5000)));
  ASSERT_TRUE(run(store().setThreadFollow(room.id, root.seq, carol.id, true, 5000)));
  auto of_carol = run(store().followedThreads(carol.id, 10));
  ASSERT_EQ(of_carol->size(), 2u);
  EXPECT_EQ((*of_carol)[0].root.seq, root.seq);
  EXPECT_EQ((*of_carol)[1].root.seq, quiet.seq);
  EXPECT_EQ(run(store().followedThreads(carol.id, 1))->size(), 1u);
  EXPECT_EQ(codeOf(run(store().setThreadFollow(room.id, a1->event.seq, carol.id, true, 5000))),
            Code::not_found);
  EXPECT_EQ(codeOf(run(store().setThreadFollow(room.id, 999999, carol.id, true, 5000))),
            Code::not_found);

  // the marker moves forward only; no row, no marker
  EXPECT_EQ(*run(store().markThreadRead(room.id, root.seq, alice.id, a1->event.seq)),
            a1->event.seq);
  EXPECT_EQ(*run(store().markThreadRead(room.id, root.seq, alice.id, 1)), a1->event.seq);
  EXPECT_EQ((*run(store().followedThreads(alice.id, 10)))[0].unread, 0);
  User dave = user("dave");
  EXPECT_EQ(*run(store().markThreadRead(room.id, root.seq, dave.id, 5)), 0);

  // alice stops following: a new reply does not follow her again; her own reply does
  ASSERT_TRUE(run(store().setThreadFollow(room.id, root.seq, alice.id, false, 6000)));
  AppendRequest r2 = message(room.id, bob.id, "r2");
  r2.thread_root = root.seq;
  ASSERT_TRUE(run(store().append(r2)));
  EXPECT_TRUE(run(store().followedThreads(alice.id, 10))->empty());
  AppendRequest r3 = message(room.id, alice.id, "r3");
  r3.thread_root = root.seq;
  auto a3 = run(store().append(r3));
  ASSERT_TRUE(a3) << errorOf(a3);
  auto back = run(store().followedThreads(alice.id, 10));
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].last_read_seq, a3->event.seq);
  EXPECT_EQ((*back)[0].unread, 0);
  // carol: three unread replies (none hers, none deleted)
  EXPECT_EQ((*run(store().followedThreads(carol.id, 10)))[0].unread, 3);

  // a member who leaves sees none of the room's threads
  ASSERT_TRUE(run(store().removeMember(room.id, carol.id)));
  EXPECT_TRUE(run(store().followedThreads(carol.id, 10))->empty());
}

}  // namespace parley::store_contract
