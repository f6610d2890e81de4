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

std::string_view toString(EventKind k) noexcept {
  switch (k) {
    case EventKind::message:
      return "message";
    case EventKind::edit:
      return "edit";
    case EventKind::del:
      return "delete";
  }
  return "message";
}

std::optional<EventKind> eventKindFromString(std::string_view s) noexcept {
  if (s == "message") return EventKind::message;
  if (s == "edit") return EventKind::edit;
  if (s == "delete") return EventKind::del;
  return std::nullopt;
}

}  // namespace parley
