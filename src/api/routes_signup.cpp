// Sign-up with an invite, and the admins' invites (docs/api.md "Sign-up and invites").
#include <algorithm>

#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

Awaitable<Result<HttpResponse>> registerInvited(Call& c, std::string username, std::string password,
                                                std::string code) {
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto made = co_await c.ctx.accounts.registerInvited(std::move(username), std::move(password),
                                                      std::move(ip), std::move(code));
  if (!made) co_return made.error();
  json::object body{{"user", codec::user(made->user.id, made->user.username)}};
  if (made->room_id != 0) {
    // The account exists whatever happens to the room meanwhile; a room gone is no room.
    auto joined = co_await c.ctx.rooms.admitInvited(made->user, made->room_id);
    if (joined) body["room"] = made->room_id;
  }
  co_return jsonResponse(201, body);
}

namespace {

std::string_view inviteState(const Invite& i, Millis now) {
  if (i.revoked_at != 0) return "revoked";
  if (i.expires_at <= now) return "expired";
  if (i.uses >= i.max_uses) return "used_up";
  return "active";
}

json::object inviteJson(const Invite& i, Millis now) {
  return json::object{{"id", i.id},
                      {"created_by", i.created_by},
                      {"created_at", i.created_at},
                      {"expires_at", i.expires_at},
                      {"max_uses", i.max_uses},
                      {"uses", i.uses},
                      {"room", i.room_id},
                      {"revoked_at", i.revoked_at},
                      {"state", inviteState(i, now)}};
}

Result<InviteSpec> inviteSpec(const json::object& body) {
  InviteSpec spec;
  auto expires = optInt(body, "expires_in_s");
  if (!expires) return expires.error();
  auto uses = optInt(body, "max_uses");
  if (!uses) return uses.error();
  auto room = optInt(body, "room");
  if (!room) return room.error();
  constexpr std::int64_t kMaxSeconds = kInviteMaxTtlMs / 1000;
  if (*expires) spec.ttl_ms = std::clamp<std::int64_t>(**expires, -1, kMaxSeconds + 1) * 1000;
  if (*uses)
    spec.max_uses = static_cast<int>(std::clamp<std::int64_t>(**uses, 0, kInviteMaxUses + 1));
  if (*room) spec.room_id = **room;
  if (auto ok = checkInviteSpec(spec); !ok) return ok.error();
  return spec;
}

Awaitable<Result<HttpResponse>> createInvite(Call& c) {
  auto spec = inviteSpec(c.body);
  if (!spec) co_return spec.error();
  auto made = co_await c.ctx.accounts.createInvite(*c.auth, *spec);
  if (!made) co_return made.error();
  const Millis now = made->invite.created_at;
  co_return jsonResponse(201, {{"invite", inviteJson(made->invite, now)}, {"code", made->code}});
}

Awaitable<Result<HttpResponse>> listInvites(Call& c) {
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  const int n = static_cast<int>(std::min<std::int64_t>(limit->value_or(100), kInviteListMax));
  auto list = co_await c.ctx.accounts.invites(*c.auth, n);
  if (!list) co_return list.error();
  const Millis now = c.ctx.accounts.clock().now();
  json::array a;
  for (const Invite& i : *list) a.push_back(inviteJson(i, now));
  co_return jsonResponse(200, {{"invites", std::move(a)}});
}

Awaitable<Result<HttpResponse>> revokeInvite(Call& c) {
  auto done = co_await c.ctx.accounts.revokeInvite(*c.auth, c.id("id"));
  if (!done) co_return done.error();
  co_return noContent();
}

constexpr Route kRoutes[] = {
    {"POST", "/admin/invites", &createInvite, Body::json_or_empty},
    {"GET", "/admin/invites", &listInvites},
    {"DELETE", "/admin/invites/{id}", &revokeInvite},
};

}  // namespace

std::span<const Route> signupRoutes() { return kRoutes; }

}  // namespace parley::api
