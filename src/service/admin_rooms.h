// The admin console's room screens (docs/api.md "The admin console"): every room's name and
// counts, never its content, and handing a room to a new owner. Every call answers
// forbidden to a caller who is not a server admin before it looks at its inputs.
//
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ports/store.h"
#include "service/accounts.h"
#include "service/rooms.h"

namespace parley {

class AdminRooms {
 public:
  AdminRooms(Store& store, AccountService& accounts, RoomService& rooms)
      : store_(store), accounts_(accounts), rooms_(rooms) {}

  // One page of rooms (either kind, not deleted) whose name starts with `q` (bad_request if
  // longer than AccountService::kAdminQueryMax bytes), ids above `after`, at most `limit`
  // (clamped to 1..AccountService::kAdminPageMax).
  Task<Result<std::vector<RoomListing>>> list(const AuthContext& admin, std::string q, RoomId after,
                                              int limit);
  // Makes `username` the room's owner (a member first if it is not one) and its other
  // owners admins; audited as room_owner_changed in the new owner's trail. not_found "no
  // such room" / "no such user"; conflict for a direct room or a disabled account.
  Task<Result<RoomService::HandOver>> transferOwner(const AuthContext& admin, RoomId room,
                                                    std::string username);

 private:
  Store& store_;
  AccountService& accounts_;
  RoomService& rooms_;
};

}  // namespace parley
