// The REST API of docs/api.md, independent of the HTTP library: a parsed request in, a
// response out. The routes are a table (route_table.h); matching, authentication, CSRF
// (Origin) checks, JSON validation and error mapping happen here, once for every route, so
// every route answers bad input the same documented way.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/api_context.h"

namespace parley::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form: path and query
  std::string authorization;
  std::string cookie;
  std::string origin;
  std::string host;
  std::string body;
  std::string remote_ip;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Call;  // route_table.h

class Router {
 public:
  explicit Router(ApiContext& ctx) : ctx_(ctx) {}
  boost::asio::awaitable<HttpResponse> handle(HttpRequest req);

  // The session token of a request: the bearer token, else the parley_session cookie.
  // `from_cookie` tells which, for the CSRF rule.
  static std::string tokenOf(const HttpRequest& req, bool& from_cookie);
  // The caller of `req` by its token, with the CSRF (Origin) rule for cookies: what every
  // route but register and login does once matched. Also for the streamed file routes,
  // which the server handles itself.
  boost::asio::awaitable<Result<AuthContext>> authenticateRequest(const HttpRequest& req);
  bool originAllowed(std::string_view origin, std::string_view host) const;

 private:
  // The request's route (route_table.h) and its answer; `allow` is set for a 405.
  boost::asio::awaitable<Result<HttpResponse>> dispatch(Call& call, std::string& allow);

  ApiContext& ctx_;
};

}  // namespace parley::api
