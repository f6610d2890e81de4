// `parley admin create-invite` and `reset-2fa` (docs/operations.md, "Sign-up").

#include "app/admin_ops.h"
#include "app/cli_text.h"
#include "app/flag_checks.h"
#include "ports/clock.h"
#include "service/invites.h"

namespace parley::app {

namespace {

Task<void> audit(Store& store, UserId user, const char* kind, const char* detail) {
  AuditEvent e{.user_id = user,
               .kind = kind,
               .ip = "",
               .device = "parley admin",
               .detail = detail,
               .at = SystemClock().now()};
  co_await store.recordAudit(std::move(e));  // best effort, as the service's audit
}

}  // namespace

Task<Status> createInvite(Store& store, const AdminRequest& req, std::ostream& out) {
  auto uses = numberFlag(req, "--uses", 1, 1, kInviteMaxUses);
  if (!uses) co_return uses.error();
  auto days = numberFlag(req, "--days", 7, 1, 90);
  if (!days) co_return days.error();
  auto room = numberFlag(req, "--room", 0, 1, INT64_MAX);
  if (!room) co_return room.error();
  if (*room != 0) {
    auto r = co_await store.roomById(*room);
    if (!r || r->kind != RoomKind::group)
      co_return makeError(Code::bad_request, "--room must name a group room");
  }
  InviteSpec spec{
      .ttl_ms = *days * 24 * 3600 * 1000, .max_uses = static_cast<int>(*uses), .room_id = *room};
  const Millis now = SystemClock().now();
  auto made = co_await makeInvite(store, spec, 0, now);
  if (!made) co_return made.error();
  co_await audit(store, 0, "invite_created", "by parley admin");
  out << "invite " << made->invite.id << " (" << spec.max_uses << " use"
      << (spec.max_uses == 1 ? "" : "s") << ", valid until " << utcText(made->invite.expires_at)
      << "):\n  " << inviteUrl(baseUrl(req), made->code) << "\n";
  co_return Status{};
}

Task<Status> resetTwoFactor(Store& store, const AdminRequest& req, std::ostream& out) {
  std::string name = req.user;
  auto user = co_await store.userByName(std::move(name));
  if (!user && user.error().code == Code::not_found)
    co_return makeError(Code::not_found, "no such user " + req.user);
  if (!user) co_return user.error();
  auto gone = co_await store.deleteTotp(user->id);
  if (!gone && gone.error().code != Code::not_found) co_return gone;
  if (gone) co_await audit(store, user->id, "2fa_reset", "by parley admin");
  out << user->username
      << (gone ? ": two-factor sign-in is off; it may enrol again\n"
               : " had no two-factor sign-in\n");
  co_return Status{};
}

Task<void> firstAdminHint(Store& store, const Config& cfg, std::ostream& out) {
  if (cfg.limits.registration == ServiceLimits::Registration::open) co_return;
  auto users = co_await store.usersPage(0, 1);
  if (!users || !users->empty()) co_return;
  const std::string where = isPostgresUrl(cfg.db_url) ? "--db URL" : "--data-dir " + cfg.data_dir;
  out << "parley: no accounts yet, and sign-up needs an invite (--registration). Make the "
         "first server admin with\n  parley admin create-user NAME --admin "
      << where << "\nwhich prints a one-time link to set its password.\n"
      << std::flush;
}

}  // namespace parley::app
