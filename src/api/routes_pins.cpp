// Pins, room settings (service/room_settings.h) and my notification level in a room (docs/api.md
// "Pins", "Room settings", "Notifications").
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

Error unavailable() { return makeError(Code::unavailable, "pins are not available"); }

Awaitable<Result<HttpResponse>> change(Call& c, bool add) {
  if (!c.ctx.pins) co_return unavailable();
  auto changed = co_await c.ctx.pins->change(c.me(), c.id("id"), c.id("seq"), add);
  if (!changed) co_return changed.error();
  boost::json::value event = nullptr;
  if (*changed) event = codec::event(**changed);
  co_return jsonResponse(200, {{"event", std::move(event)}});
}

Awaitable<Result<HttpResponse>> pin(Call& c) { co_return co_await change(c, true); }
Awaitable<Result<HttpResponse>> unpin(Call& c) { co_return co_await change(c, false); }

Awaitable<Result<HttpResponse>> list(Call& c) {
  if (!c.ctx.pins) co_return unavailable();
  auto body = co_await c.ctx.pins->listJson(c.me().id, c.id("id"));
  if (!body) co_return body.error();
  HttpResponse r;
  r.status = 200;
  r.body = std::move(*body);
  co_return r;
}

Result<std::optional<WhoMay>> whoMay(const boost::json::object& body, std::string_view key) {
  auto v = optString(body, key);
  if (!v) return v.error();
  if (!*v) return std::optional<WhoMay>{};
  auto w = whoMayFromString(**v);
  if (!w) return makeError(Code::bad_request, std::string(key) + " must be \"all\" or \"admins\"");
  return std::optional<WhoMay>{*w};
}

// Checked whole before the room is looked at: a bad body answers alike for every room.
Awaitable<Result<HttpResponse>> settings(Call& c) {
  if (!c.ctx.room_settings)
    co_return makeError(Code::unavailable, "room settings are not available");
  SettingsPatch p;
  // archived and post are kept by the Store and carried by the event, but not taken here
  // until sending to an archived room, and by a plain member where posting is for admins,
  // is refused (a setting that says read-only must be read-only).
  for (auto [key, field] :
       {std::pair{"room_mentions", &p.room_mentions}, std::pair{"pins", &p.pins}}) {
    auto w = whoMay(c.body, key);
    if (!w) co_return w.error();
    *field = *w;
  }
  auto name = optString(c.body, "name");
  if (!name) co_return name.error();
  p.name = std::move(*name);
  auto topic = optString(c.body, "topic");
  if (!topic) co_return topic.error();
  p.topic = std::move(*topic);
  auto is_public = optBool(c.body, "public");
  if (!is_public) co_return is_public.error();
  p.is_public = *is_public;
  // A server admin may change any room's settings: the role is read now, as every admin
  // route reads it (a cached session's copy may be stale).
  User me = c.me();
  me.admin = static_cast<bool>(co_await c.ctx.accounts.requireAdmin(*c.auth));
  auto changed = co_await c.ctx.room_settings->change(me, c.id("id"), std::move(p));
  if (!changed) co_return changed.error();
  boost::json::value event = nullptr;
  if (changed->event) event = codec::event(*changed->event);
  co_return jsonResponse(200, {{"room", codec::room(changed->room)}, {"event", std::move(event)}});
}

Awaitable<Result<HttpResponse>> notifications(Call& c) {
  if (!c.ctx.pins) co_return unavailable();
  auto level_text = reqString(c.body, "level");
  if (!level_text) co_return level_text.error();
  auto level = notifyLevelFromString(*level_text);
  if (!level) {
    co_return makeError(Code::bad_request, "level must be \"all\", \"mentions\" or \"none\"");
  }
  auto muted = optBool(c.body, "muted");
  if (!muted) co_return muted.error();
  const bool mute = muted->value_or(false);
  auto ok = co_await c.ctx.pins->setNotifications(c.me(), c.id("id"), *level, mute);
  if (!ok) co_return ok.error();
  co_return jsonResponse(200, {{"level", toString(*level)}, {"muted", mute}});
}

constexpr Route kRoutes[] = {
    {"GET", "/rooms/{id}/pins", &list},
    {"PUT", "/rooms/{id}/pins/{seq}", &pin},
    {"DELETE", "/rooms/{id}/pins/{seq}", &unpin},
    {"PATCH", "/rooms/{id}", &settings, Body::json},
    {"PUT", "/rooms/{id}/notifications", &notifications, Body::json},
};

}  // namespace

std::span<const Route> pinRoutes() { return kRoutes; }

}  // namespace parley::api
