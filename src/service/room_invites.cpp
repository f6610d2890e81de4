// RoomService: the room a sign-up invite joins its new account to.
#include "service/rooms.h"

namespace parley {

Task<Status> RoomService::admitInvited(const User& user, RoomId room) {
  auto r = co_await groupRoom(room);
  if (!r) co_return r.error();
  auto added = co_await store_.addMember(room, user.id, Role::member, clock_.now());
  if (!added) co_return added.error();
  auto fresh = co_await store_.roomById(room);
  if (!fresh) co_return fresh.error();
  publishJoined(*fresh, user.id, user.username, Role::member);
  co_await presence_.introduce(room, user.id);
  co_return Status{};
}

}  // namespace parley
