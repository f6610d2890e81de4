#include "api/route_table.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <charconv>

namespace parley::api {

namespace json = boost::json;

namespace {

bool isParam(std::string_view seg) { return seg.size() > 2 && seg.front() == '{'; }

std::string_view paramName(std::string_view seg) { return seg.substr(1, seg.size() - 2); }

// Calls `f` with each segment of a pattern ("/rooms/{id}" → "rooms", "{id}").
template <class F>
void forEachSegment(std::string_view pattern, F&& f) {
  while (!pattern.empty()) {
    pattern.remove_prefix(1);  // the '/'
    auto end = pattern.find('/');
    f(pattern.substr(0, end));
    if (end == std::string_view::npos) break;
    pattern.remove_prefix(end);
  }
}

// Whether `segs` has the pattern's shape; fills `params` when it does. A {param} takes
// any one segment, even an empty one: its type is checked after authentication.
bool fits(std::string_view pattern, const std::vector<std::string>& segs,
          std::vector<std::pair<std::string_view, std::string>>* params) {
  std::size_t i = 0;
  bool ok = true;
  forEachSegment(pattern, [&](std::string_view p) {
    if (!ok || i >= segs.size()) {
      ok = false;
    } else if (isParam(p)) {
      if (params) params->emplace_back(paramName(p), segs[i]);
    } else {
      ok = p == segs[i];
    }
    ++i;
  });
  return ok && i == segs.size();
}

bool answers(const Route& r, std::string_view method) {
  return r.method == method || (method == "HEAD" && r.method == "GET");
}

// The Allow header: the methods of every route of the path, in a fixed order.
std::string allowOf(std::span<const Route> table, const std::vector<std::string>& segs) {
  constexpr std::array<std::string_view, 6> kOrder{"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"};
  std::string allow;
  for (auto m : kOrder) {
    bool any = std::any_of(table.begin(), table.end(), [&](const Route& r) {
      return answers(r, m) && fits(r.pattern, segs, nullptr);
    });
    if (!any) continue;
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  return allow;
}

Result<std::int64_t> idOf(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) {
    return makeError(Code::not_found, "no such resource");
  }
  return v;
}

}  // namespace

RouteMatch matchRoute(std::span<const Route> table, std::string_view method,
                      const std::vector<std::string>& segs) {
  RouteMatch m;
  for (const Route& r : table) {
    if (!answers(r, method)) continue;
    if (fits(r.pattern, segs, &m.params)) {
      m.route = &r;
      return m;
    }
    m.params.clear();
  }
  m.allow = allowOf(table, segs);
  return m;
}

Status parseIds(Call& call, std::string_view pattern) {
  for (auto& [name, raw] : call.params) {
    if (name == "username" || name == "emoji") continue;
    auto v = idOf(raw);
    // A room id that cannot name a room goes on as room 0, which no room has: it meets the
    // same checks in the same order as any missing room, and gets the same answer, byte
    // for byte, as a room the caller may not see (service/hidden_room.h).
    if (!v && name == "id" && pattern.starts_with("/rooms/")) v = 0;
    if (!v) return v.error();
    call.ids.emplace_back(name, *v);
  }
  return {};
}

const std::string& Call::text(std::string_view name) const {
  for (auto& [k, v] : params) {
    if (k == name) return v;
  }
  assert(false && "the route's pattern names this parameter");
  return params.front().second;
}

std::int64_t Call::id(std::string_view name) const {
  for (auto& [k, v] : ids) {
    if (k == name) return v;
  }
  assert(false && "parseIds ran and the route's pattern names this parameter");
  return 0;
}

std::optional<std::string> Call::queryParam(std::string_view key) const {
  for (auto& [k, v] : query) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::span<const Route> apiRoutes() {
  static const std::vector<Route> all = [] {
    std::vector<Route> v;
    for (auto part : {accountRoutes(), roomRoutes(), messageRoutes(), reactionRoutes(),
                      threadRoutes(), pinRoutes(), searchRoutes(), signupRoutes(),
                      twoFactorRoutes(), adminRoutes(), avatarRoutes()}) {
      v.insert(v.end(), part.begin(), part.end());
    }
    return v;
  }();
  return all;
}

HttpResponse jsonResponse(int status, const json::object& body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

HttpResponse noContent() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Result<std::optional<std::int64_t>> intParam(const std::optional<std::string>& s,
                                             std::string_view name) {
  if (!s) return std::optional<std::int64_t>();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || v < 0) {
    return makeError(Code::bad_request, std::string(name) + " must be a non-negative integer");
  }
  return std::optional<std::int64_t>(v);
}

bool originAllowed(const ApiContext& ctx, std::string_view origin, std::string_view host) {
  for (auto& o : ctx.allowed_origins) {
    if (o == origin) return true;
  }
  // The server's own origin, as the browser addressed it.
  return !host.empty() && origin.size() == host.size() + 7 && origin.substr(0, 7) == "http://" &&
         origin.substr(7) == host;
}

}  // namespace parley::api
