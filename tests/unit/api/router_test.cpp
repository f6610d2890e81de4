// The REST route table, driven without sockets: matching and its 404/405 answers, typed
// path parameters, HEAD, trailing slashes, encoded segments, and the table against the
// route list of docs/api.md.
#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "api/files_http.h"
#include "api/route_table.h"
#include "support/test_node.h"

namespace parley::api {
namespace {

namespace json = boost::json;

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> segs;
  while (!path.empty()) {
    path.remove_prefix(1);
    auto end = path.find('/');
    segs.emplace_back(path.substr(0, end));
    if (end == std::string_view::npos) break;
    path.remove_prefix(end);
  }
  return segs;
}

RouteMatch match(std::string_view method, std::string_view path) {
  return matchRoute(apiRoutes(), method, segments(path));
}

TEST(RouteTable, MatchesMethodAndPatternWithParams) {
  auto m = match("POST", "/rooms/12/messages");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/rooms/{id}/messages");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "12");

  m = match("PATCH", "/rooms/3/members/9");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/rooms/{id}/members/{user_id}");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[1].first, "user_id");
  EXPECT_EQ(m.params[1].second, "9");
}

TEST(RouteTable, LiteralsWinOverParams) {
  auto m = match("GET", "/rooms/public");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/rooms/public");
  m = match("GET", "/rooms/7");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/rooms/{id}");
}

TEST(RouteTable, UnknownPathHasNoRouteAndNoAllow) {
  for (auto path : {"/nope", "/", "/me/", "/rooms/1/", "/rooms/1/nope", "/admin/users/x",
                    "/rooms/1/messages/2/3", "/ws"}) {
    auto m = match("GET", path);
    EXPECT_FALSE(m.route) << path;
    EXPECT_EQ(m.allow, "") << path;
  }
}

TEST(RouteTable, KnownPathWithOtherMethodListsItsMethods) {
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (auto c : {Case{"DELETE", "/me", "GET, HEAD, PATCH"}, Case{"GET", "/login", "POST"},
                 Case{"PUT", "/rooms", "GET, HEAD, POST"},
                 Case{"POST", "/rooms/public", "GET, HEAD, PATCH, DELETE"},
                 Case{"GET", "/rooms/1/members/2", "PATCH, DELETE"},
                 Case{"PUT", "/rooms/1/messages", "GET, HEAD, POST"},
                 Case{"OPTIONS", "/sessions/4", "DELETE"}}) {
    auto m = match(c.method, c.path);
    EXPECT_FALSE(m.route) << c.method << " " << c.path;
    EXPECT_EQ(m.allow, c.allow) << c.method << " " << c.path;
  }
}

TEST(RouteTable, HeadIsAnsweredByTheGetRoute) {
  auto m = match("HEAD", "/rooms/5/messages");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_FALSE(match("HEAD", "/logout").route);
  EXPECT_EQ(match("HEAD", "/logout").allow, "POST");
}

// Open routes: those that make a session (the second sign-in step's challenge is its
// credential), and those whose one-time token is their credential.
TEST(RouteTable, EveryPatternIsReachableAndOnlyRegisterLoginAndPasswordResetAreOpen) {
  for (const Route& r : apiRoutes()) {
    std::string path;
    for (auto& s : segments(r.pattern)) path += "/" + (s.front() == '{' ? std::string("1") : s);
    auto m = match(r.method, path);
    ASSERT_TRUE(m.route) << r.method << " " << r.pattern;
    EXPECT_EQ(m.route, &r) << r.method << " " << r.pattern;
    bool open = r.pattern == "/register" || r.pattern == "/login" ||
                r.pattern == "/password-reset" || r.pattern == "/login/2fa" ||
                r.pattern == "/login/2fa/enrol";
    EXPECT_EQ(r.access == Access::open, open) << r.pattern;
  }
}

// "METHOD /api/v1/path" of every row of docs/api.md's route tables, query strings dropped.
std::set<std::string> documentedRoutes() {
  std::ifstream in(PARLEY_DOCS_API_MD);
  EXPECT_TRUE(in) << PARLEY_DOCS_API_MD;
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    auto end = line.find('`', 3);
    std::string cell = line.substr(3, end - 3);
    auto space = cell.find(' ');
    if (space == std::string::npos || cell.find("/api/v1/") != space + 1) continue;
    out.insert(cell.substr(0, cell.find('?')));
  }
  return out;
}

TEST(RouteTable, IsTheRouteListOfDocsApiMd) {
  std::set<std::string> documented = documentedRoutes();
  ASSERT_GT(documented.size(), 20u);
  std::set<std::string> table;
  for (const Route& r : apiRoutes()) {
    table.insert(std::string(r.method) + " /api/v1" + std::string(r.pattern));
  }
  for (auto& d : documented) {
    if (table.count(d)) continue;
    // The streamed file routes are the server's own (files_http.h).
    auto space = d.find(' ');
    std::string path = d.substr(space + 1);
    for (auto name : {"{id}", "{file_id}"}) {
      auto at = path.find(name);
      if (at != std::string::npos) path.replace(at, std::string_view(name).size(), "1");
    }
    EXPECT_TRUE(matchFileRoute(d.substr(0, space), path)) << d << " is documented, not routed";
  }
  for (auto& t : table) EXPECT_TRUE(documented.count(t)) << t << " is routed, not documented";
}

// "METHOD /api/v1/path" of every operation of docs/openapi.yaml (scripts/openapi.py writes
// it in block style: a path at indent 2 under `paths:`, its methods at indent 4).
std::set<std::string> openapiRoutes() {
  std::ifstream in(PARLEY_DOCS_OPENAPI_YAML);
  EXPECT_TRUE(in) << PARLEY_DOCS_OPENAPI_YAML;
  std::set<std::string> out;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') in_paths = line == "paths:";
    if (!in_paths) continue;
    if (line.starts_with("  /") && line.ends_with(":")) {
      path = line.substr(2, line.size() - 3);
    } else if (line.size() > 5 && line.starts_with("    ") && line[4] != ' ' &&
               line.ends_with(":")) {
      std::string method = line.substr(4, line.size() - 5);
      for (auto& ch : method) ch = static_cast<char>(std::toupper(ch));
      out.insert(method + " /api/v1" + path);
    }
  }
  return out;
}

// The file routes are the server's own (files_http.h), not the table's.
bool isFileRoute(const std::string& route) {
  auto space = route.find(' ');
  std::string path = route.substr(space + 1);
  for (auto name : {"{id}", "{file_id}"}) {
    auto at = path.find(name);
    if (at != std::string::npos) path.replace(at, std::string_view(name).size(), "1");
  }
  return matchFileRoute(route.substr(0, space), path).has_value();
}

// A route added to the table needs its operation in docs/openapi.yaml: add it to
// scripts/openapi.py's ROUTES and run the script.
TEST(RouteTable, IsTheRouteListOfOpenapiYaml) {
  std::set<std::string> spec = openapiRoutes();
  ASSERT_GT(spec.size(), 20u);
  std::set<std::string> table;
  for (const Route& r : apiRoutes()) {
    table.insert(std::string(r.method) + " /api/v1" + std::string(r.pattern));
  }
  for (auto& t : table) {
    EXPECT_TRUE(spec.count(t)) << t << " is routed, not in docs/openapi.yaml (scripts/openapi.py)";
  }
  for (auto& s : spec) {
    EXPECT_TRUE(table.count(s) || isFileRoute(s)) << s << " is in docs/openapi.yaml, not routed";
  }
  // And every file route the server streams is described.
  for (auto r : {"POST /api/v1/rooms/{id}/files", "GET /api/v1/rooms/{id}/files/{file_id}",
                 "GET /api/v1/rooms/{id}/files/{file_id}/thumbnail"}) {
    EXPECT_TRUE(spec.count(r)) << r << " is served, not in docs/openapi.yaml";
  }
}

// The Router over a whole node's services (SQLite in a temp dir): what a client sees.
class RouterTest : public ::testing::Test {
 protected:
  testing::TestNode node;
  ApiContext ctx{node.accounts,
                 node.rooms,
                 node.messages,
                 node.presence,
                 node.hub,
                 node.files,
                 node.limits,
                 {},
                 {},
                 {}};
  Router router{ctx};
  std::string token = loginAs("alice");

  HttpResponse call(std::string method, std::string target, std::string body = {},
                    std::string auth = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.authorization = auth.empty() ? "" : "Bearer " + auth;
    req.body = std::move(body);
    req.remote_ip = "127.0.0.1";
    return node.run(router.handle(std::move(req)));
  }
  HttpResponse as(std::string method, std::string target, std::string body = {}) {
    return call(std::move(method), std::move(target), std::move(body), token);
  }
  std::string loginAs(const std::string& name) {
    node.user(name);
    auto r = call("POST", "/api/v1/login",
                  R"({"username":")" + name + R"(","password":"password-)" + name + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(json::parse(r.body).at("token").as_string());
  }
  std::int64_t newRoom() {
    auto r = as("POST", "/api/v1/rooms", R"({"name":"general","public":true})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).at("room").at("id").as_int64();
  }
};

std::string_view header(const HttpResponse& r, std::string_view name) {
  for (auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

constexpr std::string_view kNoRoute = R"({"error":{"code":"not_found","message":"no such route"}})";
constexpr std::string_view kNoResource =
    R"({"error":{"code":"not_found","message":"no such resource"}})";

TEST_F(RouterTest, UnknownPathIs404WithOrWithoutASession) {
  for (auto target : {"/api/v1/nope", "/api/v1/me/", "/api/v2/me", "/api/v1", "/api/v1/ws",
                      "/api/v1//me", "/api/v1/rooms/1/nope"}) {
    for (auto* auth : {"", token.c_str()}) {
      auto r = call("GET", target, {}, auth);
      EXPECT_EQ(r.status, 404) << target;
      EXPECT_EQ(r.body, kNoRoute) << target;
    }
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllowBeforeAuthentication) {
  for (auto* auth : {"", token.c_str()}) {
    auto r = call("DELETE", "/api/v1/rooms", {}, auth);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(header(r, "Allow"), "GET, HEAD, POST");
    EXPECT_EQ(json::parse(r.body).at("error").at("code").as_string(), "method_not_allowed");
  }
  auto r = call("GET", "/api/v1/register");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "POST");
}

// A room id that cannot name a room is answered as a missing room (and so as a room the
// caller may not see): docs/api.md, "Rooms you may not see".
TEST_F(RouterTest, BadIdsAreNotFoundAfterAuthentication) {
  const std::string missing = as("GET", "/api/v1/rooms/9223372036854775807").body;
  EXPECT_EQ(missing, R"({"error":{"code":"not_found","message":"no such room"}})");
  for (auto target : {"/api/v1/rooms/abc", "/api/v1/rooms/0", "/api/v1/rooms/-1",
                      "/api/v1/rooms/1x", "/api/v1/rooms/99999999999999999999", "/api/v1/rooms/+1",
                      "/api/v1/rooms/", "/api/v1/rooms/%31%00"}) {
    auto r = as("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body, missing) << target;
    EXPECT_EQ(call("GET", target).status, 401) << target;
  }
  std::string members = "/api/v1/rooms/" + std::to_string(newRoom()) + "/members/x";
  EXPECT_EQ(as("DELETE", members).body, kNoResource);
  EXPECT_EQ(as("DELETE", "/api/v1/sessions/nope").body, kNoResource);
}

TEST_F(RouterTest, HeadAnswersAsGet) {
  auto get = as("GET", "/api/v1/me");
  auto head = as("HEAD", "/api/v1/me");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, get.body);  // the server sends the length, not the body
}

TEST_F(RouterTest, SegmentsArePercentDecodedOnceAndAnEncodedSlashStaysInItsSegment) {
  node.user("bob");
  auto r = as("GET", "/api/v1/users/b%6Fb");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("user").at("username").as_string(), "bob");
  EXPECT_EQ(as("GET", "/api/v1/%6De").status, 200);
  std::int64_t room = newRoom();
  r = as("GET",
         "/api/v1/rooms/%3" + std::to_string(room).substr(0, 1) + std::to_string(room).substr(1));
  EXPECT_EQ(r.status, 200) << r.body;
  r = as("GET", "/api/v1/users/b%2Fob");  // one segment "b/ob": no such user
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body).at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(as("GET", "/api/v1/rooms%2Fpublic").status, 404);
  EXPECT_EQ(as("GET", "/api/v1/me?x=1&y").status, 200);
  EXPECT_EQ(as("GET", "/api/v1/me%").status, 400);  // not a valid target
}

TEST_F(RouterTest, BodiesAreReadAsEachRouteDeclares) {
  std::int64_t room = newRoom();
  std::string base = "/api/v1/rooms/" + std::to_string(room);
  // Rooms: an empty body is {}; anything else must be a JSON object.
  EXPECT_EQ(as("POST", base + "/leave").status, 204);
  EXPECT_EQ(as("POST", base + "/join", "[]").status, 400);
  EXPECT_EQ(as("POST", base + "/join").status, 200);
  // Messages: a body is required.
  EXPECT_EQ(as("POST", base + "/read").status, 400);
  EXPECT_EQ(as("POST", base + "/messages", "{").status, 400);
}

TEST_F(RouterTest, SendIsParsedOnceAndRetriesGiveTheOriginal) {
  std::string target = "/api/v1/rooms/" + std::to_string(newRoom()) + "/messages";
  auto first = as("POST", target, R"({"client_msg_id":"c1","text":"hi"})");
  EXPECT_EQ(first.status, 201) << first.body;
  auto again = as("POST", target, R"({"client_msg_id":"c1","text":"hi"})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("message").at("seq"),
            json::parse(first.body).at("message").at("seq"));
  auto bad = as("POST", target, R"({"client_msg_id":"c2","reply_to":"x"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("error").at("message").as_string(),
            "reply_to must be an integer");
}

TEST_F(RouterTest, CookieChangesNeedAnAllowedOriginButReadsDoNot) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/rooms";
  req.cookie = "parley_session=" + token;
  req.body = R"({"name":"x"})";
  req.origin = "http://evil.example";
  req.host = "parley.example";
  auto r = node.run(router.handle(req));
  EXPECT_EQ(r.status, 403);
  req.origin = "http://parley.example";
  EXPECT_EQ(node.run(router.handle(req)).status, 201);
  req.method = "GET";
  req.origin = "http://evil.example";
  EXPECT_EQ(node.run(router.handle(req)).status, 200);
}

}  // namespace
}  // namespace parley::api
