#include "domain/types.h"

namespace parley {

std::string usernameKey(std::string_view username) {
  std::string key(username);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

std::string_view toString(RoomKind k) noexcept {
  return k == RoomKind::direct ? "direct" : "group";
}

std::string_view toString(Role r) noexcept {
  switch (r) {
    case Role::owner:
      return "owner";
    case Role::admin:
      return "admin";
    case Role::member:
      return "member";
  }
  return "member";
}

std::optional<Role> roleFromString(std::string_view s) noexcept {
  if (s == "member") return Role::member;
  if (s == "admin") return Role::admin;
  if (s == "owner") return Role::owner;
  return std::nullopt;
}

std::string_view toString(WhoMay w) noexcept { return w == WhoMay::admins ? "admins" : "all"; }

std::optional<WhoMay> whoMayFromString(std::string_view s) noexcept {
  if (s == "all") return WhoMay::all;
  if (s == "admins") return WhoMay::admins;
  return std::nullopt;
}

std::string_view toString(NotifyLevel l) noexcept {
  switch (l) {
    case NotifyLevel::all:
      return "all";
    case NotifyLevel::mentions:
      return "mentions";
    case NotifyLevel::none:
      return "none";
  }
  return "all";
}

std::optional<NotifyLevel> notifyLevelFromString(std::string_view s) noexcept {
  if (s == "all") return NotifyLevel::all;
  if (s == "mentions") return NotifyLevel::mentions;
  if (s == "none") return NotifyLevel::none;
  return std::nullopt;
}

std::string_view toString(EventKind k) noexcept {
  switch (k) {
    case EventKind::message:
      return "message";
    case EventKind::edit:
      return "edit";
    case EventKind::del:
      return "delete";
    case EventKind::react:
      return "react";
    case EventKind::unreact:
      return "unreact";
    case EventKind::pin:
      return "pin";
    case EventKind::unpin:
      return "unpin";
    case EventKind::settings:
      return "settings";
  }
  return "message";
}

std::optional<EventKind> eventKindFromString(std::string_view s) noexcept {
  if (s == "message") return EventKind::message;
  if (s == "edit") return EventKind::edit;
  if (s == "delete") return EventKind::del;
  if (s == "react") return EventKind::react;
  if (s == "unreact") return EventKind::unreact;
  if (s == "pin") return EventKind::pin;
  if (s == "unpin") return EventKind::unpin;
  if (s == "settings") return EventKind::settings;
  return std::nullopt;
}

std::string reactionsJson(const std::vector<ReactionCount>& counts) {
  if (counts.empty()) return {};
  std::string out = "[";
  for (const auto& c : counts) {
    if (out.size() > 1) out += ',';
    out += R"({"emoji":")" + c.emoji + R"(","count":)" + std::to_string(c.count) + R"(,"users":[)";
    for (std::size_t i = 0; i < c.first_users.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(c.first_users[i]);
    }
    out += "]}";
  }
  out += ']';
  return out;
}

std::string joinIds(const std::vector<UserId>& ids) {
  std::string out;
  for (UserId id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::vector<UserId> splitIds(std::string_view text) {
  std::vector<UserId> out;
  UserId v = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9' && v < kSeqMax / 10) {
      v = v * 10 + (c - '0');
      digits = true;
    } else if (c == ',') {
      if (digits) out.push_back(v);
      v = 0;
      digits = false;
    }
  }
  if (digits) out.push_back(v);
  return out;
}

std::string threadJson(const ThreadSummary& t) {
  if (t.reply_count == 0) return {};
  std::string out = R"({"reply_count":)" + std::to_string(t.reply_count) + R"(,"last_reply_at":)" +
                    std::to_string(t.last_reply_at) + R"(,"participants":[)";
  for (std::size_t i = 0; i < t.participants.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(t.participants[i]);
  }
  out += "]}";
  return out;
}

}  // namespace parley
