// AccountService: sign-up with an invite, and the admins' invites.
#include <algorithm>

#include "core/metrics.h"
#include "crypto/tokens.h"
#include "service/accounts.h"

namespace parley {

Task<Result<InvitedUser>> AccountService::registerInvited(std::string username,
                                                          std::string password, std::string ip,
                                                          std::string code) {
  if (limits_.registration == ServiceLimits::Registration::closed) {
    co_return makeError(Code::registration_closed, "sign-up is closed on this server");
  }
  if (auto ok = checkUsername(username); !ok) co_return ok.error();
  if (auto ok = checkPassword(password); !ok) co_return ok.error();
  auto admitted = co_await admitRegistration(ip);
  if (!admitted) co_return admitted.error();
  Error invalid{Code::invalid_invite,
                "this invite is not valid: it was revoked, expired or used up; ask an admin "
                "for a new one"};
  if (code.empty() || code.size() > 128) co_return invalid;
  auto hash = co_await hasher_.hash(std::move(password));
  if (!hash) co_return hash.error();
  std::string code_hash = crypto::hashToken(code);
  const Millis now = clock_.now();
  auto made = co_await store_.createInvitedUser(std::move(code_hash), std::move(username),
                                                std::move(*hash), now);
  const std::string device = "sign-up";  // named (g++ 12: src/README.md)
  if (!made && made.error().code == Code::not_found) {
    co_await auditRefusal(0, "invite_refused", ip, device, "unknown, revoked, expired or used up");
    co_return invalid;
  }
  if (!made && made.error().code == Code::conflict) {
    co_return makeError(Code::conflict, "username is taken");
  }
  if (!made) co_return made.error();
  users_.remember(made->user.id, made->user.username);
  co_await audit(made->user.id, "account_created", ip, device, "with an invite");
  co_return made;
}

Task<Result<NewInvite>> AccountService::createInvite(const AuthContext& admin, InviteSpec spec) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  if (auto ok = checkInviteSpec(spec); !ok) co_return ok.error();
  if (spec.room_id != 0) {
    // The answer for a room the admin may not add people to is the one for no room at all.
    Error no_room{Code::not_found, "no such room"};
    auto room = co_await store_.roomById(spec.room_id);
    if (!room || room->kind != RoomKind::group) co_return no_room;
    auto me = co_await store_.member(spec.room_id, admin.user.id);
    if (!me) co_return no_room;
    if (!room->is_public && me->role == Role::member) co_return no_room;
  }
  const Millis now = clock_.now();
  auto made = co_await makeInvite(store_, spec, admin.user.id, now);
  if (!made) co_return made.error();
  co_await audit(admin.user.id, "invite_created", admin.session.ip, admin.session.device,
                 spec.room_id != 0 ? "with a room" : "");
  co_return made;
}

Task<Result<std::vector<Invite>>> AccountService::invites(const AuthContext& admin, int limit) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  co_return co_await store_.invites(std::clamp(limit, 1, kInviteListMax));
}

Task<Status> AccountService::revokeInvite(const AuthContext& admin, std::int64_t id) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  const Millis now = clock_.now();
  auto done = co_await store_.revokeInvite(id, now);
  if (!done)
    co_return done.error().code == Code::not_found ? makeError(Code::not_found, "no such invite")
                                                   : done.error();
  co_await audit(admin.user.id, "invite_revoked", admin.session.ip, admin.session.device);
  co_return Status{};
}

}  // namespace parley
