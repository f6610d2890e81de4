#include "service/admin_rooms.h"

#include <algorithm>

namespace parley {

Task<Result<std::vector<RoomListing>>> AdminRooms::list(const AuthContext& admin, std::string q,
                                                        RoomId after, int limit) {
  auto allowed = co_await accounts_.requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  if (q.size() > AccountService::kAdminQueryMax)
    co_return makeError(Code::bad_request, "q must be at most 64 bytes");
  const int n = std::clamp(limit, 1, AccountService::kAdminPageMax);
  co_return co_await store_.searchRooms(std::move(q), after, n);
}

Task<Result<RoomService::HandOver>> AdminRooms::transferOwner(const AuthContext& admin, RoomId room,
                                                              std::string username) {
  auto allowed = co_await accounts_.requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await store_.userByName(std::move(username));
  if (!user && user.error().code == Code::not_found)
    co_return makeError(Code::not_found, "no such user");
  if (!user) co_return user.error();
  if (user->disabled) co_return makeError(Code::conflict, "a disabled account cannot own a room");
  auto done = co_await rooms_.handOver(room, *user);
  if (!done) co_return done.error();
  std::string was;
  for (const auto& name : done->previous) was += (was.empty() ? "" : ", ") + name;
  std::string detail = "room " + std::to_string(room) + " now owned by " + user->username +
                       (was.empty() ? "" : " (was " + was + ")") + ", by server admin " +
                       admin.user.username;
  co_await accounts_.auditAdminChange(admin, user->id, "room_owner_changed", detail);
  co_return done;
}

}  // namespace parley
