#include "api/router.h"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "api/json_input.h"
#include "api/route_table.h"
#include "core/metrics.h"

namespace parley::api {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

namespace {

std::string cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

Status readBody(Call& call, Body kind, int max_depth) {
  if (kind == Body::none) return {};
  std::string_view text = call.req.body;
  if (kind == Body::json_or_empty && text.empty()) text = "{}";
  auto body = parseObject(text, max_depth);
  if (!body) return body.error();
  call.body = std::move(*body);
  return {};
}

// The error answer of docs/api.md, with Retry-After on 429.
HttpResponse errorResponse(const Error& e) {
  metrics().countError(e.code);
  HttpResponse r;
  r.status = httpStatus(e.code);
  r.body = errorBody(e);
  if (e.code == Code::rate_limited) {
    r.headers.emplace_back("Retry-After", std::to_string(std::max(1, e.retry_after_s)));
  }
  return r;
}

// 405 method_not_allowed is answered here only, so it is not one of core's Codes (a new
// Code would rebuild every layer for one answer of the router).
HttpResponse methodNotAllowed(std::string allow) {
  HttpResponse r;
  r.status = 405;
  r.body = boost::json::serialize(boost::json::object{
      {"error", boost::json::object{{"code", "method_not_allowed"},
                                    {"message", "this path does not take that method"}}}});
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

}  // namespace

std::string Router::tokenOf(const HttpRequest& req, bool& from_cookie) {
  from_cookie = false;
  std::string_view auth = req.authorization;
  if (auth.size() > 7 && auth.substr(0, 7) == "Bearer ") return std::string(auth.substr(7));
  std::string c = cookieValue(req.cookie, "parley_session");
  from_cookie = !c.empty();
  return c;
}

bool Router::originAllowed(std::string_view origin, std::string_view host) const {
  return api::originAllowed(ctx_, origin, host);
}

Awaitable<Result<AuthContext>> Router::authenticateRequest(const HttpRequest& req) {
  bool from_cookie = false;
  std::string token = tokenOf(req, from_cookie);
  if (token.empty()) co_return makeError(Code::unauthorized, "missing token");
  bool safe = req.method == "GET" || req.method == "HEAD";
  if (from_cookie && !safe && !originAllowed(req.origin, req.host)) {
    co_return makeError(Code::origin_not_allowed,
                        "cookie-authenticated change from a foreign origin");
  }
  co_return co_await ctx_.accounts.authenticate(token, req.remote_ip);
}

Awaitable<HttpResponse> Router::handle(HttpRequest req) {
  metrics().http_requests.inc();
  Call call{req, ctx_, {}, {}, {}, std::nullopt, {}};
  std::string allow;  // set when the path is known but not the method
  auto res = co_await dispatch(call, allow);
  if (res) co_return std::move(*res);
  if (!allow.empty()) co_return methodNotAllowed(std::move(allow));
  co_return errorResponse(res.error());
}

// Match, then authenticate, then typed parameters, then body: see route_table.h.
Awaitable<Result<HttpResponse>> Router::dispatch(Call& call, std::string& allow) {
  auto url = boost::urls::parse_origin_form(call.req.target);
  if (!url) co_return makeError(Code::bad_request, "bad request target");
  std::vector<std::string> segs;
  for (auto seg : url->segments()) segs.push_back(seg);
  for (auto p : url->params()) call.query.emplace_back(p.key, p.value);
  if (segs.size() < 2 || segs[0] != "api" || segs[1] != "v1") {
    co_return makeError(Code::not_found, "no such route");
  }
  segs.erase(segs.begin(), segs.begin() + 2);
  RouteMatch match = matchRoute(apiRoutes(), call.req.method, segs);
  if (!match.route) {
    allow = std::move(match.allow);
    co_return makeError(Code::not_found, "no such route");
  }
  call.params = std::move(match.params);
  if (match.route->access == Access::session) {
    auto auth = co_await authenticateRequest(call.req);
    if (!auth) co_return auth.error();
    call.auth = std::move(*auth);
  } else if (!call.req.origin.empty() && !originAllowed(call.req.origin, call.req.host)) {
    // Login CSRF: a browser sends Origin on every cross-site POST (a form's too, whatever
    // its content type), so a foreign or opaque ("null") one is refused before anything
    // is read. No Origin at all is a non-browser client (curl, bots), which is allowed.
    co_return makeError(Code::origin_not_allowed, "login or register from a foreign origin");
  }
  if (auto ids = parseIds(call, match.route->pattern); !ids) co_return ids.error();
  if (auto body = readBody(call, match.route->body, ctx_.edge.json_max_depth); !body) {
    co_return body.error();
  }
  co_return co_await match.route->handler(call);
}

}  // namespace parley::api
