#include "service/threads.h"

#include <unordered_map>

#include "service/codec.h"

namespace parley {

void applyThreads(std::vector<StoredEvent>& events) {
  std::unordered_map<Seq, const std::string*> latest;
  for (const auto& e : events) {
    if (e.thread_root != 0) latest[e.thread_root] = &e.thread;
  }
  if (latest.empty()) return;
  for (auto& e : events) {
    if (e.kind != EventKind::message || e.thread_root != 0) continue;
    if (auto it = latest.find(e.seq); it != latest.end()) e.thread = *it->second;
  }
}

Task<Result<StoredEvent>> ThreadService::rootOf(UserId user, RoomId room, Seq root) {
  auto member = co_await messages_.requireMember(room, user);
  if (!member) co_return member.error();
  auto e = co_await store_.eventAt(room, root);
  if (!e && e.error().code != Code::not_found) co_return e.error();
  if (!e || e->kind != EventKind::message || e->thread_root != 0) {
    co_return makeError(Code::not_found, "no such thread root");
  }
  co_return std::move(*e);
}

Task<Result<std::string>> ThreadService::page(UserId user, RoomId room, Seq root,
                                              std::optional<Seq> before, std::optional<Seq> after,
                                              std::optional<int> limit) {
  auto n = messages_.checkLimit(limit);
  if (!n) co_return n.error();
  auto root_event = co_await rootOf(user, room, root);
  if (!root_event) co_return root_event.error();
  // Read from the Store: its rows carry every summary as it stands (a thread is read far
  // less often than a room's newest page, which the Cache serves).
  EventQuery q;
  q.room_id = room;
  q.after = after.value_or(0);
  q.before = before.value_or(kSeqMax);
  q.limit = *n + 1;  // one more tells whether there is more
  q.newest_first = !after.has_value() || before.has_value();
  q.messages_only = true;
  q.thread = root;
  auto rows = co_await store_.events(q);
  if (!rows) co_return rows.error();
  bool has_more = false;
  if (static_cast<int>(rows->size()) > *n) {
    has_more = true;
    if (q.newest_first) {
      rows->erase(rows->begin());
    } else {
      rows->pop_back();
    }
  }
  rows->insert(rows->begin(), std::move(*root_event));
  auto opened = co_await messages_.openAll(std::move(*rows));
  if (!opened) co_return opened.error();
  Event opened_root = std::move(opened->front());
  opened->erase(opened->begin());
  co_return codec::threadPage(opened_root, *opened, has_more);
}

Task<Status> ThreadService::follow(UserId user, RoomId room, Seq root, bool on) {
  auto root_event = co_await rootOf(user, room, root);
  if (!root_event) co_return root_event.error();
  co_return co_await store_.setThreadFollow(room, root, user, on, clock_.now());
}

Task<Result<Seq>> ThreadService::markRead(UserId user, RoomId room, Seq root, Seq seq) {
  if (seq < 0) co_return makeError(Code::bad_request, "seq must not be negative");
  auto root_event = co_await rootOf(user, room, root);
  if (!root_event) co_return root_event.error();
  co_return co_await store_.markThreadRead(room, root, user, seq);
}

Task<Result<std::string>> ThreadService::followed(UserId user) {
  auto threads = co_await store_.followedThreads(user, kFollowedShown);
  if (!threads) co_return threads.error();
  std::vector<StoredEvent> roots;
  roots.reserve(threads->size());
  for (auto& t : *threads) roots.push_back(t.root);
  auto opened = co_await messages_.openAll(std::move(roots));
  if (!opened) co_return opened.error();
  co_return codec::followedThreads(*threads, *opened);
}

}  // namespace parley
