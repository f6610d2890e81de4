#include "service/room_settings.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <boost/json/serialize.hpp>

#include "crypto/random.h"
#include "service/message_body.h"

namespace parley {

namespace {

// Characters that reorder, break or hide text (as profile fields refuse them).
bool isControl(UChar32 c) {
  const auto type = u_charType(c);
  return type == U_CONTROL_CHAR || type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

Result<std::string> checkRoomText(std::string_view raw, std::string_view field,
                                  std::size_t max_bytes, bool may_be_empty) {
  auto bad = [&](std::string_view what) {
    return makeError(Code::bad_request, std::string(field) + std::string(what));
  };
  const auto n = static_cast<std::int32_t>(std::min<std::size_t>(raw.size(), INT32_MAX));
  std::int32_t begin = -1;  // byte offset of the first non-space code point
  std::int32_t end = 0;     // byte offset just after the last non-space code point
  for (std::int32_t i = 0; i < n;) {
    const std::int32_t at = i;
    UChar32 c = 0;
    U8_NEXT(raw.data(), i, n, c);
    if (c < 0) return bad(" is not valid UTF-8");
    if (isControl(c)) return bad(" must not contain control characters");
    if (u_isUWhiteSpace(c)) continue;
    if (begin < 0) begin = at;
    end = i;
  }
  std::string out;
  if (begin >= 0) {
    out.assign(raw.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)));
  }
  if (out.empty() && !may_be_empty) return bad(" must not be empty");
  if (out.size() > max_bytes) {
    return bad(" must be at most " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

Status checkPatch(SettingsPatch& p, const ServiceLimits& limits) {
  if (p.name) {
    auto name = checkRoomText(*p.name, "name", limits.max_room_name, false);
    if (!name) return name.error();
    p.name = std::move(*name);
  }
  if (p.topic) {
    auto topic = checkRoomText(*p.topic, "topic", limits.max_topic, true);
    if (!topic) return topic.error();
    p.topic = std::move(*topic);
  }
  return {};
}

std::string settingsBody(const SettingsChange& s, const std::vector<std::string>& changed) {
  boost::json::array names;
  for (const auto& c : changed) names.emplace_back(c);
  return boost::json::serialize(boost::json::object{{"name", s.name},
                                                    {"topic", s.topic},
                                                    {"public", s.is_public},
                                                    {"archived", s.archived},
                                                    {"post", toString(s.post)},
                                                    {"room_mentions", toString(s.room_mentions)},
                                                    {"pins", toString(s.pins)},
                                                    {"changed", std::move(names)}});
}

namespace {

// `p` applied to the room's settings as read; the names of the fields that change.
std::vector<std::string> merge(const Room& r, const SettingsPatch& p, SettingsChange& s) {
  s.name = r.name;
  s.topic = r.topic;
  s.is_public = r.is_public;
  s.archived = r.archived;
  s.post = r.post;
  s.room_mentions = r.room_mentions;
  s.pins = r.pins;
  std::vector<std::string> changed;
  auto apply = [&](const auto& want, auto& have, const char* field) {
    if (want && *want != have) {
      have = *want;
      changed.emplace_back(field);
    }
  };
  apply(p.name, s.name, "name");
  apply(p.topic, s.topic, "topic");
  apply(p.is_public, s.is_public, "public");
  apply(p.archived, s.archived, "archived");
  apply(p.post, s.post, "post");
  apply(p.room_mentions, s.room_mentions, "room_mentions");
  apply(p.pins, s.pins, "pins");
  return changed;
}

}  // namespace

Task<Result<RoomSettingsService::Changed>> RoomSettingsService::change(const User& user,
                                                                       RoomId room,
                                                                       SettingsPatch p) {
  if (auto ok = checkPatch(p, limits_); !ok) co_return ok.error();
  if (p.empty()) {
    co_return makeError(Code::bad_request,
                        "nothing to change: give name, topic, public, room_mentions or pins");
  }
  if (auto allowed = co_await messages_.chargeWrite(user.id); !allowed) co_return allowed.error();
  auto member = co_await messages_.requireMember(room, user.id);
  if (!member && !user.admin) co_return member.error();
  auto current = co_await store_.roomById(room);
  if (!current) co_return current.error();
  if (current->kind == RoomKind::direct) {
    co_return makeError(Code::forbidden, "a direct room has no settings");
  }
  if (!user.admin && member->role == Role::member) {
    co_return makeError(Code::forbidden, "only owners and admins change the room's settings");
  }
  SettingsChange s;
  const std::vector<std::string> changed = merge(*current, p, s);
  if (changed.empty()) co_return Changed{std::move(*current), std::nullopt};

  auto key = co_await keys_.current(room);
  if (!key) co_return key.error();
  s.room_id = room;
  s.event_id = crypto::newEventId();
  s.sender = user.id;
  s.now = clock_.now();
  s.key_version = key->version;
  const MessageBody body{settingsBody(s, changed), {}};
  s.sealed_body = sealMessageBody(key->key, room, s.event_id, key->version, body);
  auto done = co_await store_.changeRoomSettings(std::move(s));
  if (!done) co_return done.error();

  co_await cache_.appendEvent(done->event);
  Event e{std::move(done->event), body.text, user.username, {}};
  e.meta.sealed_body.clear();
  messages_.publish(e);
  co_return Changed{std::move(done->room), std::move(e)};
}

}  // namespace parley
