// Accounts: register, login, sessions, users, the audit trail, admin (docs/api.md).
#include <algorithm>

#include "api/audit_query.h"
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

Awaitable<Result<HttpResponse>> registerUser(Call& c) {
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto password = reqString(c.body, "password");
  if (!password) co_return password.error();
  auto invite = optString(c.body, "invite");
  if (!invite) co_return invite.error();
  if (*invite)
    co_return co_await registerInvited(c, std::move(*username), std::move(*password),
                                       std::move(**invite));
  auto user = co_await c.ctx.accounts.registerUser(std::move(*username), std::move(*password),
                                                   c.req.remote_ip);
  if (!user) co_return user.error();
  co_return jsonResponse(201, {{"user", codec::user(user->id, user->username)}});
}

Awaitable<Result<HttpResponse>> login(Call& c) {
  auto username = reqString(c.body, "username");
  if (!username) co_return username.error();
  auto password = reqString(c.body, "password");
  if (!password) co_return password.error();
  auto device = optString(c.body, "device");
  if (!device) co_return device.error();
  std::string device_name = device->value_or("");  // (g++ 12: src/README.md)
  auto login = co_await c.ctx.accounts.login(std::move(*username), std::move(*password),
                                             std::move(device_name), c.req.remote_ip);
  if (!login) co_return login.error();
  co_return loginResponse(*login);
}

Awaitable<Result<HttpResponse>> logout(Call& c) {
  auto done = co_await c.ctx.accounts.logout(*c.auth);
  if (!done) co_return done.error();
  auto r = noContent();
  r.headers.emplace_back("Set-Cookie",
                         "parley_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  co_return r;
}

Awaitable<Result<HttpResponse>> me(Call& c) {
  auto profile = co_await c.ctx.accounts.myProfile(*c.auth);
  if (!profile) co_return profile.error();
  co_return jsonResponse(200, {{"user", codec::profile(*profile)},
                               {"session", codec::session(c.auth->session, c.auth->session.id)}});
}

// Each known field is a string or null (clears it); any other field is refused, so a typo
// never passes for a change that did nothing.
Result<ProfilePatch> readPatch(const json::object& body) {
  ProfilePatch patch;
  const std::pair<std::string_view, std::optional<std::optional<std::string>>*> fields[] = {
      {"display_name", &patch.display_name},
      {"status_text", &patch.status_text},
      {"status_emoji", &patch.status_emoji},
      {"time_zone", &patch.time_zone},
  };
  for (const auto& kv : body) {
    const std::string_view key = kv.key();
    const json::value& value = kv.value();
    auto it = std::find_if(std::begin(fields), std::end(fields),
                           [key](const auto& f) { return f.first == key; });
    if (it == std::end(fields)) {
      return makeError(Code::invalid_profile,
                       "unknown profile field: " + std::string(key.substr(0, 64)));
    }
    if (value.is_null()) {
      it->second->emplace(std::nullopt);
    } else if (value.is_string()) {
      it->second->emplace(std::string(value.get_string()));
    } else {
      return makeError(Code::bad_request, std::string(key) + " must be a string or null");
    }
  }
  return patch;
}

Awaitable<Result<HttpResponse>> patchMe(Call& c) {
  auto patch = readPatch(c.body);
  if (!patch) co_return patch.error();
  auto profile = co_await c.ctx.accounts.updateProfile(*c.auth, std::move(*patch));
  if (!profile) co_return profile.error();
  co_return jsonResponse(200, {{"user", codec::profile(*profile)}});
}

// ?q=prefix&limit=N&cursor=C (docs/api.md "Finding people").
Awaitable<Result<HttpResponse>> findPeople(Call& c) {
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  std::string q = c.queryParam("q").value_or("");  // (g++ 12: src/README.md)
  std::string cursor = c.queryParam("cursor").value_or("");
  const int n = static_cast<int>(std::clamp<std::int64_t>(limit->value_or(0), 0, 1000));
  auto page = co_await c.ctx.accounts.findPeople(*c.auth, std::move(q), std::move(cursor), n);
  if (!page) co_return page.error();
  json::array people;
  for (const Profile& p : page->people) people.push_back(codec::profile(p));
  json::value next = nullptr;
  if (!page->next_cursor.empty()) next = json::string(page->next_cursor);
  co_return jsonResponse(200, {{"users", std::move(people)}, {"next_cursor", std::move(next)}});
}

Awaitable<Result<HttpResponse>> sessions(Call& c) {
  auto list = co_await c.ctx.accounts.sessions(*c.auth);
  if (!list) co_return list.error();
  json::array a;
  for (auto& s : *list) a.push_back(codec::session(s, c.auth->session.id));
  co_return jsonResponse(200, {{"sessions", std::move(a)}});
}

Awaitable<Result<HttpResponse>> revokeSession(Call& c) {
  auto done = co_await c.ctx.accounts.revoke(*c.auth, c.id("id"));
  if (!done) co_return done.error();
  co_return noContent();
}

json::array auditJson(const std::vector<AuditEvent>& events) {
  json::array a;
  for (auto& e : events) {
    a.push_back(json::object{{"id", e.id},
                             {"user_id", e.user_id},
                             {"kind", e.kind},
                             {"ip", e.ip},
                             {"device", e.device},
                             {"detail", e.detail},
                             {"at", e.at},
                             {"count", e.count},
                             {"last_at", e.last_at}});
  }
  return a;
}

// ?limit=N, at most 500, default 100.
Result<int> auditLimit(const Call& c) {
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) return limit.error();
  return static_cast<int>(std::min<std::int64_t>(limit->value_or(100), 500));
}

Awaitable<Result<HttpResponse>> audit(Call& c) {
  auto n = auditLimit(c);
  if (!n) co_return n.error();
  auto events = co_await c.ctx.accounts.auditTrail(*c.auth, *n);
  if (!events) co_return events.error();
  co_return jsonResponse(200, {{"events", auditJson(*events)}});
}

// Admins only: the filters are checked after the role, so others learn nothing from them.
Awaitable<Result<HttpResponse>> auditAll(Call& c) {
  auto allowed = co_await c.ctx.accounts.requireAdmin(*c.auth);
  if (!allowed) co_return allowed.error();
  auto search = parseAuditSearch(c);
  if (!search) co_return search.error();
  const int limit = search->query.limit;
  AuditQuery query = std::move(search->query);  // (g++ 12: src/README.md)
  std::string username = std::move(search->username);
  auto events = co_await c.ctx.accounts.searchAudit(*c.auth, std::move(query), std::move(username));
  if (!events) co_return events.error();
  json::value next = nullptr;  // opaque to clients: the id to continue below
  if (static_cast<int>(events->size()) == limit) next = std::to_string(events->back().id);
  co_return jsonResponse(200, {{"events", auditJson(*events)}, {"next_cursor", next}});
}

Awaitable<Result<HttpResponse>> setDisabled(Call& c, bool disabled) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.setDisabled(*c.auth, std::move(username), disabled);
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> disableUser(Call& c) { return setDisabled(c, true); }
Awaitable<Result<HttpResponse>> enableUser(Call& c) { return setDisabled(c, false); }

Awaitable<Result<HttpResponse>> userByName(Call& c) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto profile = co_await c.ctx.accounts.profileOf(*c.auth, std::move(username));
  if (!profile) co_return profile.error();
  co_return jsonResponse(200, {{"user", codec::profile(*profile)}});
}

Awaitable<Result<HttpResponse>> changePassword(Call& c) {
  auto current = reqString(c.body, "current_password");
  if (!current) co_return current.error();
  auto next = reqString(c.body, "new_password");
  if (!next) co_return next.error();
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.changePassword(*c.auth, std::move(*current), std::move(*next),
                                                     std::move(ip));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> resetPassword(Call& c) {
  auto token = reqString(c.body, "token");
  if (!token) co_return token.error();
  auto password = reqString(c.body, "password");
  if (!password) co_return password.error();
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto done =
      co_await c.ctx.accounts.resetPassword(std::move(*token), std::move(*password), std::move(ip));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> issueResetLink(Call& c) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto link = co_await c.ctx.accounts.issueResetLink(*c.auth, std::move(username));
  if (!link) co_return link.error();
  co_return jsonResponse(201, {{"token", link->token}, {"expires_at", link->expires_at}});
}

constexpr Route kRoutes[] = {
    {"POST", "/register", &registerUser, Body::json, Access::open},
    {"POST", "/login", &login, Body::json, Access::open},
    {"POST", "/logout", &logout},
    {"GET", "/me", &me},
    {"PATCH", "/me", &patchMe, Body::json},
    {"GET", "/sessions", &sessions},
    {"DELETE", "/sessions/{id}", &revokeSession},
    {"GET", "/users", &findPeople},
    {"GET", "/users/{username}", &userByName},
    {"GET", "/audit", &audit},
    {"POST", "/admin/users/{username}/disable", &disableUser},
    {"POST", "/admin/users/{username}/enable", &enableUser},
    {"GET", "/admin/audit", &auditAll},
    {"POST", "/me/password", &changePassword, Body::json},
    {"POST", "/password-reset", &resetPassword, Body::json, Access::open},
    {"POST", "/admin/users/{username}/reset-link", &issueResetLink},
};

}  // namespace

std::span<const Route> accountRoutes() { return kRoutes; }

}  // namespace parley::api
