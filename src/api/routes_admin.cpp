// The admin console (docs/api.md "The admin console"): accounts, their sessions and roles,
// and every room's names and counts. Each handler is one service call; the services answer
// forbidden to a non-admin before they look at anything the request names.
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

// ?q=&cursor=&limit=: a prefix, the id to continue after (opaque to clients), and at most
// how many (default 50; the service clamps it).
struct PageQuery {
  std::string q;
  std::int64_t after = 0;
  int limit = 50;
};

Result<PageQuery> pageQuery(const Call& c) {
  PageQuery p;
  p.q = c.queryParam("q").value_or("");
  auto cursor = intParam(c.queryParam("cursor"), "cursor");
  if (!cursor) return cursor.error();
  p.after = cursor->value_or(0);
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) return limit.error();
  p.limit = static_cast<int>(std::min<std::int64_t>(limit->value_or(50), 1000));
  return p;
}

// The id to continue after, when the page was full (there may be more); null otherwise.
json::value nextCursor(std::size_t size, int limit, std::int64_t last_id) {
  if (size == 0 || static_cast<int>(size) < limit) return nullptr;
  return json::string(std::to_string(last_id));
}

// Not a user object (GET /users/{username} keeps that shape): what an admin sees.
json::object adminUser(const UserListing& u) {
  return json::object{{"id", u.user.id},
                      {"username", u.user.username},
                      {"admin", u.user.admin},
                      {"disabled", u.user.disabled},
                      {"created_at", u.user.created_at},
                      {"two_factor", u.totp_enabled},
                      {"last_seen_at", u.last_seen}};
}

json::object adminRoom(const RoomListing& r) {
  json::value owner = nullptr;
  if (r.owner_id != 0) owner = json::object{{"id", r.owner_id}, {"username", r.owner}};
  return json::object{{"id", r.room.id},
                      {"kind", toString(r.room.kind)},
                      {"name", r.room.name},
                      {"public", r.room.is_public},
                      {"member_count", r.member_count},
                      {"owner", std::move(owner)},
                      {"created_at", r.room.created_at},
                      {"last_activity_at", r.last_activity}};
}

Awaitable<Result<HttpResponse>> listUsers(Call& c) {
  auto allowed = co_await c.ctx.accounts.requireAdmin(*c.auth);  // before reading the query
  if (!allowed) co_return allowed.error();
  auto p = pageQuery(c);
  if (!p) co_return p.error();
  const int limit = std::clamp(p->limit, 1, AccountService::kAdminPageMax);
  auto users = co_await c.ctx.accounts.listUsers(*c.auth, std::move(p->q), p->after, limit);
  if (!users) co_return users.error();
  json::array a;
  for (const auto& u : *users) a.push_back(adminUser(u));
  json::value next = nextCursor(users->size(), limit, users->empty() ? 0 : users->back().user.id);
  co_return jsonResponse(200, {{"users", std::move(a)}, {"next_cursor", std::move(next)}});
}

Awaitable<Result<HttpResponse>> createUser(Call& c) {
  auto allowed = co_await c.ctx.accounts.requireAdmin(*c.auth);  // before reading the body
  if (!allowed) co_return allowed.error();
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto password = optString(c.body, "password");
  if (!password) co_return password.error();
  auto admin = optBool(c.body, "admin");
  if (!admin) co_return admin.error();
  const bool make_admin = admin->value_or(false);
  std::optional<std::string> pw = std::move(*password);  // (g++ 12: src/README.md)
  auto made = co_await c.ctx.accounts.createUserAsAdmin(*c.auth, std::move(*username),
                                                        std::move(pw), make_admin);
  if (!made) co_return made.error();
  UserListing listed{.user = made->user};
  json::object body{{"user", adminUser(listed)}};
  if (made->link) {
    body["reset_token"] = made->link->token;
    body["reset_expires_at"] = made->link->expires_at;
  }
  co_return jsonResponse(201, body);
}

Awaitable<Result<HttpResponse>> setAdmin(Call& c, bool grant) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.setAdminRole(*c.auth, std::move(username), grant);
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> grantAdmin(Call& c) { return setAdmin(c, true); }
Awaitable<Result<HttpResponse>> revokeAdmin(Call& c) { return setAdmin(c, false); }

Awaitable<Result<HttpResponse>> userSessions(Call& c) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto list = co_await c.ctx.accounts.sessionsOf(*c.auth, std::move(username));
  if (!list) co_return list.error();
  json::array a;
  for (const auto& s : *list) a.push_back(codec::session(s, c.auth->session.id));
  co_return jsonResponse(200, {{"sessions", std::move(a)}});
}

Awaitable<Result<HttpResponse>> endUserSession(Call& c) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.endSessionOf(*c.auth, std::move(username), c.id("id"));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> listRooms(Call& c) {
  if (!c.ctx.admin_rooms) co_return makeError(Code::unavailable, "the admin console is off");
  auto allowed = co_await c.ctx.accounts.requireAdmin(*c.auth);  // before reading the query
  if (!allowed) co_return allowed.error();
  auto p = pageQuery(c);
  if (!p) co_return p.error();
  const int limit = std::clamp(p->limit, 1, AccountService::kAdminPageMax);
  auto rooms = co_await c.ctx.admin_rooms->list(*c.auth, std::move(p->q), p->after, limit);
  if (!rooms) co_return rooms.error();
  json::array a;
  for (const auto& r : *rooms) a.push_back(adminRoom(r));
  json::value next = nextCursor(rooms->size(), limit, rooms->empty() ? 0 : rooms->back().room.id);
  co_return jsonResponse(200, {{"rooms", std::move(a)}, {"next_cursor", std::move(next)}});
}

Awaitable<Result<HttpResponse>> transferOwner(Call& c) {
  if (!c.ctx.admin_rooms) co_return makeError(Code::unavailable, "the admin console is off");
  auto allowed = co_await c.ctx.accounts.requireAdmin(*c.auth);  // before reading the body
  if (!allowed) co_return allowed.error();
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto done = co_await c.ctx.admin_rooms->transferOwner(*c.auth, c.id("id"), std::move(*username));
  if (!done) co_return done.error();
  json::array previous;
  for (const auto& name : done->previous) previous.push_back(json::string(name));
  co_return jsonResponse(
      200, {{"member", codec::member(done->owner)}, {"previous_owners", std::move(previous)}});
}

constexpr Route kRoutes[] = {
    {"GET", "/admin/users", &listUsers},
    {"POST", "/admin/users", &createUser, Body::json},
    {"POST", "/admin/users/{username}/admin", &grantAdmin},
    {"DELETE", "/admin/users/{username}/admin", &revokeAdmin},
    {"GET", "/admin/users/{username}/sessions", &userSessions},
    {"DELETE", "/admin/users/{username}/sessions/{id}", &endUserSession},
    {"GET", "/admin/rooms", &listRooms},
    {"POST", "/admin/rooms/{id}/owner", &transferOwner, Body::json},
};

}  // namespace

std::span<const Route> adminRoutes() { return kRoutes; }

}  // namespace parley::api
