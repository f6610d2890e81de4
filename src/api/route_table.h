// The REST API as a table (Envoy's route config, uWebSockets' app.get): method + path
// pattern → one short handler. No Beast and no sockets. For each request the Router
//   1. matches the path under /api/v1 (unknown path: 404; known path, other method: 405
//      with Allow; HEAD is answered by the GET route),
//   2. authenticates the caller unless the route is open (with the cookie CSRF rule),
//   3. parses the typed path parameters (a bad id answers 404 "no such resource"; a bad
//      room id is room 0, which answers as any missing room),
//   4. reads the body the route declares (bounded JSON object),
// and only then calls the handler, which reads its inputs from the Call.
// docs/api.md lists the same routes; router_test compares the two.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_context.h"
#include "api/router.h"

namespace parley::api {

// What a handler is given: the request, the node's services, and its checked inputs.
struct Call {
  const HttpRequest& req;
  ApiContext& ctx;
  std::vector<std::pair<std::string_view, std::string>> params;  // decoded, by pattern name
  std::vector<std::pair<std::string_view, std::int64_t>> ids;    // the integer ones, checked
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<AuthContext> auth;  // set on every route but the open ones
  boost::json::object body;         // set on routes that declare a body

  const User& me() const { return auth->user; }
  // A path parameter; `id` for the integer ones (positive, parsed before the handler runs).
  const std::string& text(std::string_view name) const;
  std::int64_t id(std::string_view name) const;
  std::optional<std::string> queryParam(std::string_view key) const;
};

using Handler = boost::asio::awaitable<Result<HttpResponse>> (*)(Call&);

enum class Access {
  session,  // a valid session token (bearer, or cookie with an allowed Origin for changes)
  open,     // anyone: register and login; from a browser, only with an allowed Origin
};

enum class Body {
  none,           // not read
  json,           // a JSON object; an empty body is bad_request
  json_or_empty,  // a JSON object; an empty body reads as {}
};

struct Route {
  std::string_view method;   // GET, POST, PATCH, PUT, DELETE (a GET also answers HEAD)
  std::string_view pattern;  // under /api/v1. {username}, {emoji} are text; any other {param} a
                             // positive integer (a room, session, user or message seq)
  Handler handler;
  Body body = Body::none;
  Access access = Access::session;
};

struct RouteMatch {
  const Route* route = nullptr;                                  // null: 404 or 405
  std::vector<std::pair<std::string_view, std::string>> params;  // raw, when route is set
  std::string allow;  // known path, no route for the method: "GET, HEAD, POST"
};

// The first route in `table` whose pattern fits `segs` (decoded path segments after
// /api/v1) and whose method is `method`. Literal patterns must come before the {param}
// patterns they overlap (/rooms/public before /rooms/{id}).
RouteMatch matchRoute(std::span<const Route> table, std::string_view method,
                      const std::vector<std::string>& segs);

// Parses the integer parameters of a matched call (of the route `pattern`) into `call.ids`;
// not_found "no such resource" otherwise, except for a room id, which is then 0 (answered
// as a missing room by the service).
Status parseIds(Call& call, std::string_view pattern);

// The whole table in matching order, and its parts by area (routes_*.cpp).
std::span<const Route> apiRoutes();
std::span<const Route> accountRoutes();
std::span<const Route> roomRoutes();
std::span<const Route> messageRoutes();
std::span<const Route> searchRoutes();
std::span<const Route> reactionRoutes();
std::span<const Route> threadRoutes();
std::span<const Route> pinRoutes();        // pins, room settings, notification levels
std::span<const Route> signupRoutes();     // invites (routes_signup.cpp)
std::span<const Route> twoFactorRoutes();  // two-factor sign-in (routes_2fa.cpp)
std::span<const Route> adminRoutes();      // the admin console (routes_admin.cpp)
std::span<const Route> avatarRoutes();     // avatars (routes_avatar.cpp)

// A login's answer (routes_2fa.cpp): the session and its cookie, or 401 otp_required with
// the challenge of the second step.
HttpResponse loginResponse(const AccountService::Login& login);

// POST /register with an "invite" (routes_signup.cpp): the account, and the invite's room.
boost::asio::awaitable<Result<HttpResponse>> registerInvited(Call& c, std::string username,
                                                             std::string password,
                                                             std::string code);

// For handlers.
HttpResponse jsonResponse(int status, const boost::json::object& body);
HttpResponse noContent();
// A query parameter that must be a non-negative integer when present.
Result<std::optional<std::int64_t>> intParam(const std::optional<std::string>& s,
                                             std::string_view name);
// An allowlisted origin, or the server's own as the browser addressed it (http://host).
bool originAllowed(const ApiContext& ctx, std::string_view origin, std::string_view host);

}  // namespace parley::api
