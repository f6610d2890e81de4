// RoomService: handing a room to a new owner (the admin console).
#include "service/envelope.h"
#include "service/frames.h"
#include "service/rooms.h"

namespace parley {

// The new owner is made one before the others step down, so the room never has no owner
// (the Store refuses that: ownerKept). Every change is published as a member change is.
Task<Result<RoomService::HandOver>> RoomService::handOver(RoomId room, const User& to) {
  auto r = co_await store_.roomById(room);
  if (!r && r.error().code == Code::not_found) co_return makeError(Code::not_found, "no such room");
  if (!r) co_return r.error();
  if (r->kind != RoomKind::group) co_return makeError(Code::conflict, "a direct room has no owner");
  auto current = co_await store_.member(room, to.id);
  if (!current && current.error().code != Code::not_found) co_return current.error();
  if (!current) {
    auto added = co_await store_.addMember(room, to.id, Role::owner, clock_.now());
    if (!added) co_return added.error();
    auto fresh = co_await store_.roomById(room);
    if (!fresh) co_return fresh.error();
    publishJoined(*fresh, to.id, to.username, Role::owner);
    co_await presence_.introduce(room, to.id);
  } else if (current->role != Role::owner) {
    auto set = co_await store_.setRole(room, to.id, Role::owner);
    if (!set) co_return set.error();
    bus_.publish(roomTopic(room),
                 encodeEnvelope(Envelope::member(room, to.id),
                                frames::memberRole(room, to.id, to.username, Role::owner)));
  }
  HandOver out;
  UserId after = 0;
  for (;;) {
    auto page = co_await store_.membersPage(room, after, kMembersPageMax);
    if (!page) co_return page.error();
    for (const Member& m : *page) {
      if (m.role != Role::owner || m.user_id == to.id) continue;
      auto set = co_await store_.setRole(room, m.user_id, Role::admin);
      if (!set) co_return set.error();
      bus_.publish(roomTopic(room),
                   encodeEnvelope(Envelope::member(room, m.user_id),
                                  frames::memberRole(room, m.user_id, m.username, Role::admin)));
      out.previous.push_back(m.username);
    }
    if (page->size() < static_cast<std::size_t>(kMembersPageMax)) break;
    after = page->back().user_id;
  }
  auto m = co_await store_.member(room, to.id);
  if (!m) co_return m.error();
  out.owner = std::move(*m);
  co_return out;
}

}  // namespace parley
