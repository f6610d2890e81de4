// Sign-up invites: a code an admin hands out (URL/#invite=CODE), good for a number of
// sign-ups until it expires or is revoked, optionally joining the new account to a room.
// The Store keeps only the code's hash. Made through the API (an admin) or `parley admin
// create-invite`, spent by POST /api/v1/register with "invite" (AccountService).
#pragma once

#include <string>

#include "ports/store.h"

namespace parley {

inline constexpr Millis kInviteDefaultTtlMs = 7LL * 24 * 3600 * 1000;
inline constexpr Millis kInviteMaxTtlMs = 90LL * 24 * 3600 * 1000;
inline constexpr Millis kInviteMinTtlMs = 60 * 1000;
inline constexpr int kInviteMaxUses = 10'000;
inline constexpr int kInviteListMax = 500;

struct InviteSpec {
  Millis ttl_ms = kInviteDefaultTtlMs;
  int max_uses = 1;
  RoomId room_id = 0;  // 0: none
};

struct NewInvite {
  Invite invite;
  std::string code;  // shown once, never stored
};

// bad_request unless the expiry and the number of uses are within the bounds above.
Status checkInviteSpec(const InviteSpec& spec);

// Stores a new invite made by `created_by` (0: parley admin). The caller checked the spec
// and that `created_by` may add people to the room.
Task<Result<NewInvite>> makeInvite(Store& store, InviteSpec spec, UserId created_by, Millis now);

// What an invite looks like to a person: the web client's address with the code in the
// fragment (never sent to a server by a browser).
std::string inviteUrl(const std::string& base_url, const std::string& code);

}  // namespace parley
