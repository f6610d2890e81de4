// History centred on one message (GET /rooms/{id}/messages?around=SEQ, docs/api.md): what
// a search hit or a message link opens. Two reads of the Store, one each way from SEQ.
#include <algorithm>
#include <iterator>

#include "core/metrics.h"
#include "service/codec.h"
#include "service/messages.h"

namespace parley {

namespace {

// How many of each side's rows the page takes: half after SEQ, the rest up to SEQ, and
// whatever one side cannot fill goes to the other.
struct Split {
  std::size_t before = 0;
  std::size_t after = 0;
};

Split split(std::size_t n, std::size_t have_before, std::size_t have_after) {
  Split s;
  s.after = std::min(n / 2, have_after);
  s.before = std::min(n - s.after, have_before);
  s.after = std::min(n - s.before, have_after);
  return s;
}

}  // namespace

Task<Result<std::string>> MessageService::aroundJson(UserId user, RoomId room, Seq around,
                                                     std::optional<int> limit) {
  auto n = checkLimit(limit);
  if (!n) co_return n.error();
  // Membership at this moment (invariant 6): a room the caller may not see answers as one
  // that does not exist.
  auto member = co_await requireMember(room, user);
  if (!member) co_return member.error();
  metrics().history_store_reads.inc();

  EventQuery up_to;  // seq <= around, the newest n + 1 (one more tells whether there is more)
  up_to.room_id = room;
  up_to.before = around < kSeqMax ? around + 1 : kSeqMax;
  up_to.limit = *n + 1;
  up_to.newest_first = true;
  up_to.messages_only = true;
  up_to.thread = 0;  // the main timeline (ThreadService pages threads)
  auto older = co_await store_.events(up_to);
  if (!older) co_return older.error();

  EventQuery past;  // seq > around, the oldest n + 1
  past.room_id = room;
  past.after = around;
  past.limit = *n + 1;
  past.messages_only = true;
  past.thread = 0;
  auto newer = co_await store_.events(past);
  if (!newer) co_return newer.error();

  // Both come ascending: the page is the tail of `older` and the head of `newer`.
  const Split s = split(static_cast<std::size_t>(*n), older->size(), newer->size());
  const bool more_before = older->size() > s.before;
  const bool more_after = newer->size() > s.after;
  std::vector<StoredEvent> rows;
  rows.reserve(s.before + s.after);
  std::move(older->end() - static_cast<std::ptrdiff_t>(s.before), older->end(),
            std::back_inserter(rows));
  std::move(newer->begin(), newer->begin() + static_cast<std::ptrdiff_t>(s.after),
            std::back_inserter(rows));
  auto opened = co_await openAll(std::move(rows));
  if (!opened) co_return opened.error();

  std::string body = codec::eventsPage(*opened, more_before || more_after);
  body.pop_back();  // the closing brace: the two directions go in before it
  body += more_before ? R"(,"has_more_before":true)" : R"(,"has_more_before":false)";
  body += more_after ? R"(,"has_more_after":true})" : R"(,"has_more_after":false})";
  co_return body;
}

}  // namespace parley
