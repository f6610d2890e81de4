// Rooms: listing, creating, joining, members, direct rooms (docs/api.md).
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

json::object listedJson(const RoomService::Listed& l) {
  json::object o = codec::room(l.summary.room);
  o["role"] = toString(l.summary.me.role);
  o["last_read_seq"] = l.summary.me.last_read_seq;
  o["unread"] = l.summary.unread;
  o["mentions"] = l.summary.mentions;
  o["notifications"] =
      json::object{{"level", toString(l.summary.me.notify)}, {"muted", l.summary.me.muted}};
  o["last_message"] =
      l.last_message ? json::value(codec::event(*l.last_message)) : json::value(nullptr);
  if (l.peer) o["peer"] = codec::user(l.peer->id, l.peer->username);
  return o;
}

Awaitable<Result<HttpResponse>> myRooms(Call& c) {
  auto list = co_await c.ctx.rooms.list(c.me());
  if (!list) co_return list.error();
  json::array a;
  for (auto& l : *list) a.push_back(listedJson(l));
  co_return jsonResponse(200, {{"rooms", std::move(a)}});
}

Awaitable<Result<HttpResponse>> createRoom(Call& c) {
  auto name = reqString(c.body, "name");
  if (!name) co_return name.error();
  auto topic = optString(c.body, "topic");
  if (!topic) co_return topic.error();
  auto is_public = optBool(c.body, "public");
  if (!is_public) co_return is_public.error();
  std::string topic_text = topic->value_or("");  // (g++ 12: src/README.md)
  auto room = co_await c.ctx.rooms.create(c.me(), std::move(*name), std::move(topic_text),
                                          is_public->value_or(false));
  if (!room) co_return room.error();
  co_return jsonResponse(201, {{"room", codec::room(*room)}});
}

Awaitable<Result<HttpResponse>> publicRooms(Call& c) {
  auto list = co_await c.ctx.rooms.publicRooms();
  if (!list) co_return list.error();
  json::array a;
  for (auto& r : *list) a.push_back(codec::room(r));
  co_return jsonResponse(200, {{"rooms", std::move(a)}});
}

// One page of members (?after=U&limit=N), and the room itself when `with_room`.
Awaitable<Result<HttpResponse>> roomPage(Call& c, bool with_room) {
  auto after = intParam(c.queryParam("after"), "after");
  if (!after) co_return after.error();
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  if (*limit && **limit == 0) co_return makeError(Code::bad_request, "limit must be 1 or more");
  int n = static_cast<int>(std::min<std::int64_t>(limit->value_or(RoomService::kMembersPageMax),
                                                  RoomService::kMembersPageMax));
  auto detail = co_await c.ctx.rooms.get(c.me(), c.id("id"), after->value_or(0), n);
  if (!detail) co_return detail.error();
  json::array members;
  members.reserve(detail->members.size());
  for (std::size_t i = 0; i < detail->members.size(); ++i) {
    json::object m = codec::member(detail->members[i]);
    m["online"] = static_cast<bool>(detail->online[i]);
    members.push_back(std::move(m));
  }
  json::object out{{"members", std::move(members)},
                   {"member_count", detail->member_count},
                   {"live_presence", detail->live_presence},
                   {"has_more", detail->has_more}};
  if (with_room) out["room"] = codec::room(detail->room);
  co_return jsonResponse(200, out);
}

Awaitable<Result<HttpResponse>> roomDetail(Call& c) { return roomPage(c, true); }
Awaitable<Result<HttpResponse>> roomMembers(Call& c) { return roomPage(c, false); }

Awaitable<Result<HttpResponse>> join(Call& c) {
  auto room = co_await c.ctx.rooms.join(c.me(), c.id("id"));
  if (!room) co_return room.error();
  co_return jsonResponse(200, {{"room", codec::room(*room)}});
}

Awaitable<Result<HttpResponse>> leave(Call& c) {
  auto done = co_await c.ctx.rooms.leave(c.me(), c.id("id"));
  if (!done) co_return done.error();
  co_return noContent();
}

// Crypto-shreds the room, then removes it (docs/api.md, "Deleting a room").
Awaitable<Result<HttpResponse>> deleteRoom(Call& c) {
  if (!c.ctx.room_deletion) co_return makeError(Code::unavailable, "room deletion is not enabled");
  // A server admin may delete any room. The role is read now, as every admin route reads it
  // (from the Store, or --admin NAME): a cached session's copy may be stale, and the scaled
  // backend's session cache does not carry it at all.
  User me = c.me();
  me.admin = static_cast<bool>(co_await c.ctx.accounts.requireAdmin(*c.auth));
  auto done = co_await c.ctx.room_deletion->remove(me, c.id("id"));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> addMember(Call& c) {
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto m = co_await c.ctx.rooms.addMember(c.me(), c.id("id"), std::move(*username));
  if (!m) co_return m.error();
  co_return jsonResponse(201, {{"member", codec::member(*m)}});
}

Awaitable<Result<HttpResponse>> removeMember(Call& c) {
  auto done = co_await c.ctx.rooms.removeMember(c.me(), c.id("id"), c.id("user_id"));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> setRole(Call& c) {
  auto role = reqString(c.body, "role");
  if (!role) co_return role.error();
  auto m = co_await c.ctx.rooms.setRole(c.me(), c.id("id"), c.id("user_id"), std::move(*role));
  if (!m) co_return m.error();
  co_return jsonResponse(200, {{"member", codec::member(*m)}});
}

Awaitable<Result<HttpResponse>> direct(Call& c) {
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto room = co_await c.ctx.rooms.direct(c.me(), std::move(*username));
  if (!room) co_return room.error();
  co_return jsonResponse(200, {{"room", codec::room(*room)}});
}

// Every POST and PATCH of this area reads a JSON object, an empty body as {}.
constexpr Body kJson = Body::json_or_empty;

constexpr Route kRoutes[] = {
    {"GET", "/rooms", &myRooms},
    {"POST", "/rooms", &createRoom, kJson},
    {"GET", "/rooms/public", &publicRooms},  // before /rooms/{id}
    {"GET", "/rooms/{id}", &roomDetail},
    {"DELETE", "/rooms/{id}", &deleteRoom},
    {"GET", "/rooms/{id}/members", &roomMembers},
    {"POST", "/rooms/{id}/join", &join, kJson},
    {"POST", "/rooms/{id}/leave", &leave, kJson},
    {"POST", "/rooms/{id}/members", &addMember, kJson},
    {"DELETE", "/rooms/{id}/members/{user_id}", &removeMember},
    {"PATCH", "/rooms/{id}/members/{user_id}", &setRole, kJson},
    {"POST", "/direct", &direct, kJson},
};

}  // namespace

std::span<const Route> roomRoutes() { return kRoutes; }

}  // namespace parley::api
