#include "api/router.h"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "api/json_input.h"
#include "core/metrics.h"
#include "service/codec.h"

namespace parley::api {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

struct Router::Call {
  HttpRequest& req;
  std::vector<std::string> segs;  // path segments after /api/v1
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<AuthContext> auth;

  bool is(std::string_view method, std::initializer_list<std::string_view> pattern) const {
    if (req.method != method || segs.size() != pattern.size()) return false;
    std::size_t i = 0;
    for (auto p : pattern) {
      if (p != "*" && p != segs[i]) return false;
      ++i;
    }
    return true;
  }
  std::optional<std::string> param(std::string_view key) const {
    for (auto& [k, v] : query) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
};

namespace {

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

Result<std::int64_t> idOf(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) {
    return makeError(Code::not_found, "no such resource");
  }
  return v;
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
  for (auto& o : ctx_.allowed_origins) {
    if (o == origin) return true;
  }
  // The server's own origin, as the browser addressed it.
  return !host.empty() && origin.size() == host.size() + 7 && origin.substr(0, 7) == "http://" &&
         origin.substr(7) == host;
}

Awaitable<Result<AuthContext>> Router::authenticate(Call& call) {
  bool from_cookie = false;
  std::string token = tokenOf(call.req, from_cookie);
  if (token.empty()) co_return makeError(Code::unauthorized, "missing token");
  bool safe = call.req.method == "GET" || call.req.method == "HEAD";
  if (from_cookie && !safe && !originAllowed(call.req.origin, call.req.host)) {
    co_return makeError(Code::origin_not_allowed,
                        "cookie-authenticated change from a foreign origin");
  }
  co_return co_await ctx_.accounts.authenticate(token, call.req.remote_ip);
}

Awaitable<Result<AuthContext>> Router::authenticateRequest(HttpRequest& req) {
  Call call{req, {}, {}, std::nullopt};
  co_return co_await authenticate(call);
}

Awaitable<HttpResponse> Router::handle(HttpRequest req) {
  metrics().http_requests.inc();
  Call call{req, {}, {}, std::nullopt};
  auto url = boost::urls::parse_origin_form(req.target);
  Result<HttpResponse> res = makeError(Code::not_found, "no such route");
  if (!url) {
    res = makeError(Code::bad_request, "bad request target");
  } else {
    for (auto seg : url->segments()) call.segs.push_back(seg);
    for (auto p : url->params()) call.query.emplace_back(p.key, p.value);
    if (call.segs.size() >= 2 && call.segs[0] == "api" && call.segs[1] == "v1") {
      call.segs.erase(call.segs.begin(), call.segs.begin() + 2);
      res = co_await route(call);
    }
  }
  if (res) co_return std::move(*res);
  metrics().countError(res.error().code);
  HttpResponse r;
  r.status = httpStatus(res.error().code);
  r.body = errorBody(res.error());
  if (res.error().code == Code::rate_limited) {
    r.headers.emplace_back("Retry-After", std::to_string(std::max(1, res.error().retry_after_s)));
  }
  co_return r;
}

Awaitable<Result<HttpResponse>> Router::route(Call& call) {
  if (call.segs.empty()) co_return makeError(Code::not_found, "no such route");
  const std::string& head = call.segs[0];
  if (head == "register" || head == "login" || head == "logout" || head == "me" ||
      head == "sessions" || head == "users" || head == "audit" || head == "admin") {
    co_return co_await accountRoutes(call);
  }
  if (head == "rooms" && call.segs.size() >= 3 && call.segs[2] != "members" &&
      (call.segs[2] == "messages" || call.segs[2] == "read")) {
    co_return co_await messageRoutes(call);
  }
  if (head == "rooms" || head == "direct") co_return co_await roomRoutes(call);
  co_return makeError(Code::not_found, "no such route");
}

Awaitable<Result<HttpResponse>> Router::accountRoutes(Call& call) {
  auto& accounts = ctx_.accounts;
  if (call.is("POST", {"register"}) || call.is("POST", {"login"})) {
    auto body = parseObject(call.req.body, ctx_.edge.json_max_depth);
    if (!body) co_return body.error();
    auto username = reqString(*body, "username");
    if (!username) co_return username.error();
    auto password = reqString(*body, "password");
    if (!password) co_return password.error();
    if (call.segs[0] == "register") {
      auto user = co_await accounts.registerUser(std::move(*username), std::move(*password));
      if (!user) co_return user.error();
      co_return jsonResponse(201, {{"user", codec::user(user->id, user->username)}});
    }
    auto device = optString(*body, "device");
    if (!device) co_return device.error();
    std::string device_name = device->value_or("");  // named: see room_keys.cpp on g++ 12
    auto login = co_await accounts.login(std::move(*username), std::move(*password),
                                         std::move(device_name), call.req.remote_ip);
    if (!login) co_return login.error();
    auto r = jsonResponse(200, {{"token", login->token},
                                {"session", codec::session(login->session, login->session.id)},
                                {"user", codec::user(login->user.id, login->user.username)}});
    r.headers.emplace_back(
        "Set-Cookie",
        "parley_session=" + login->token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=7776000");
    co_return r;
  }
  auto auth = co_await authenticate(call);
  if (!auth) co_return auth.error();
  if (call.is("POST", {"logout"})) {
    auto done = co_await accounts.logout(*auth);
    if (!done) co_return done.error();
    auto r = noContent();
    r.headers.emplace_back("Set-Cookie",
                           "parley_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    co_return r;
  }
  if (call.is("GET", {"me"})) {
    co_return jsonResponse(200, {{"user", codec::user(auth->user.id, auth->user.username)},
                                 {"session", codec::session(auth->session, auth->session.id)}});
  }
  if (call.is("GET", {"sessions"})) {
    auto list = co_await accounts.sessions(*auth);
    if (!list) co_return list.error();
    json::array a;
    for (auto& s : *list) a.push_back(codec::session(s, auth->session.id));
    co_return jsonResponse(200, {{"sessions", std::move(a)}});
  }
  if (call.is("DELETE", {"sessions", "*"})) {
    auto id = idOf(call.segs[1]);
    if (!id) co_return id.error();
    auto done = co_await accounts.revoke(*auth, *id);
    if (!done) co_return done.error();
    co_return noContent();
  }
  if (call.is("GET", {"audit"}) || call.is("GET", {"admin", "audit"})) {
    auto limit = intParam(call.param("limit"), "limit");
    if (!limit) co_return limit.error();
    int n = static_cast<int>(std::min<std::int64_t>(limit->value_or(100), 500));
    Result<std::vector<AuditEvent>> events = std::vector<AuditEvent>{};
    if (call.segs[0] == "admin") {  // not a ?: of two co_awaits: g++ 12
      events = co_await accounts.auditTrailAll(*auth, n);
    } else {
      events = co_await accounts.auditTrail(*auth, n);
    }
    if (!events) co_return events.error();
    json::array a;
    for (auto& e : *events) {
      a.push_back(json::object{{"id", e.id},
                               {"user_id", e.user_id},
                               {"kind", e.kind},
                               {"ip", e.ip},
                               {"device", e.device},
                               {"detail", e.detail},
                               {"at", e.at}});
    }
    co_return jsonResponse(200, {{"events", std::move(a)}});
  }
  if (call.is("POST", {"admin", "users", "*", "disable"}) ||
      call.is("POST", {"admin", "users", "*", "enable"})) {
    auto done = co_await accounts.setDisabled(*auth, call.segs[2], call.segs[3] == "disable");
    if (!done) co_return done.error();
    co_return noContent();
  }
  if (call.is("GET", {"users", "*"})) {
    auto user = co_await accounts.userByName(call.segs[1]);
    if (!user) co_return user.error();
    co_return jsonResponse(200, {{"user", codec::user(user->id, user->username)}});
  }
  co_return makeError(Code::not_found, "no such route");
}

Awaitable<Result<HttpResponse>> Router::roomRoutes(Call& call) {
  auto auth = co_await authenticate(call);
  if (!auth) co_return auth.error();
  auto& rooms = ctx_.rooms;
  const User& me = auth->user;
  std::optional<json::object> body;
  if (call.req.method == "POST" || call.req.method == "PATCH") {
    auto parsed =
        parseObject(call.req.body.empty() ? "{}" : call.req.body, ctx_.edge.json_max_depth);
    if (!parsed) co_return parsed.error();
    body = std::move(*parsed);
  }
  if (call.is("POST", {"direct"})) {
    auto username = reqString(*body, "username");
    if (!username) co_return username.error();
    auto room = co_await rooms.direct(me, std::move(*username));
    if (!room) co_return room.error();
    co_return jsonResponse(200, {{"room", codec::room(*room)}});
  }
  if (call.is("GET", {"rooms"})) {
    auto list = co_await rooms.list(me);
    if (!list) co_return list.error();
    json::array a;
    for (auto& l : *list) {
      json::object o = codec::room(l.summary.room);
      o["role"] = toString(l.summary.me.role);
      o["last_read_seq"] = l.summary.me.last_read_seq;
      o["unread"] = l.summary.unread;
      o["last_message"] =
          l.last_message ? json::value(codec::event(*l.last_message)) : json::value(nullptr);
      if (l.peer) o["peer"] = codec::user(l.peer->id, l.peer->username);
      a.push_back(std::move(o));
    }
    co_return jsonResponse(200, {{"rooms", std::move(a)}});
  }
  if (call.is("POST", {"rooms"})) {
    auto name = reqString(*body, "name");
    if (!name) co_return name.error();
    auto topic = optString(*body, "topic");
    if (!topic) co_return topic.error();
    auto is_public = optBool(*body, "public");
    if (!is_public) co_return is_public.error();
    std::string topic_text = topic->value_or("");  // named: see room_keys.cpp on g++ 12
    auto room = co_await rooms.create(me, std::move(*name), std::move(topic_text),
                                      is_public->value_or(false));
    if (!room) co_return room.error();
    co_return jsonResponse(201, {{"room", codec::room(*room)}});
  }
  if (call.is("GET", {"rooms", "public"})) {
    auto list = co_await rooms.publicRooms();
    if (!list) co_return list.error();
    json::array a;
    for (auto& r : *list) a.push_back(codec::room(r));
    co_return jsonResponse(200, {{"rooms", std::move(a)}});
  }
  if (call.segs.size() < 2) co_return makeError(Code::not_found, "no such route");
  auto room_id = idOf(call.segs[1]);
  if (!room_id) co_return room_id.error();
  if (call.is("GET", {"rooms", "*"}) || call.is("GET", {"rooms", "*", "members"})) {
    auto after = intParam(call.param("after"), "after");
    if (!after) co_return after.error();
    auto limit = intParam(call.param("limit"), "limit");
    if (!limit) co_return limit.error();
    if (*limit && **limit == 0) co_return makeError(Code::bad_request, "limit must be 1 or more");
    int n = static_cast<int>(std::min<std::int64_t>(limit->value_or(RoomService::kMembersPageMax),
                                                    RoomService::kMembersPageMax));
    auto detail = co_await rooms.get(me, *room_id, after->value_or(0), n);
    if (!detail) co_return detail.error();
    json::array members;
    members.reserve(detail->members.size());
    for (std::size_t i = 0; i < detail->members.size(); ++i) {
      json::object m = codec::member(detail->members[i]);
      m["online"] = static_cast<bool>(detail->online[i]);
      members.push_back(std::move(m));
    }
    json::object out{{"members", std::move(members)},
                     {"member_count", detail->member_count},
                     {"live_presence", detail->live_presence},
                     {"has_more", detail->has_more}};
    if (call.segs.size() == 2) out["room"] = codec::room(detail->room);
    co_return jsonResponse(200, std::move(out));
  }
  if (call.is("POST", {"rooms", "*", "join"})) {
    auto room = co_await rooms.join(me, *room_id);
    if (!room) co_return room.error();
    co_return jsonResponse(200, {{"room", codec::room(*room)}});
  }
  if (call.is("POST", {"rooms", "*", "leave"})) {
    auto done = co_await rooms.leave(me, *room_id);
    if (!done) co_return done.error();
    co_return noContent();
  }
  if (call.is("POST", {"rooms", "*", "members"})) {
    auto username = reqString(*body, "username");
    if (!username) co_return username.error();
    auto m = co_await rooms.addMember(me, *room_id, std::move(*username));
    if (!m) co_return m.error();
    co_return jsonResponse(201, {{"member", codec::member(*m)}});
  }
  if (call.is("DELETE", {"rooms", "*", "members", "*"}) ||
      call.is("PATCH", {"rooms", "*", "members", "*"})) {
    auto user_id = idOf(call.segs[3]);
    if (!user_id) co_return user_id.error();
    if (call.req.method == "DELETE") {
      auto done = co_await rooms.removeMember(me, *room_id, *user_id);
      if (!done) co_return done.error();
      co_return noContent();
    }
    auto role = reqString(*body, "role");
    if (!role) co_return role.error();
    auto m = co_await rooms.setRole(me, *room_id, *user_id, std::move(*role));
    if (!m) co_return m.error();
    co_return jsonResponse(200, {{"member", codec::member(*m)}});
  }
  co_return makeError(Code::not_found, "no such route");
}

Awaitable<Result<HttpResponse>> Router::messageRoutes(Call& call) {
  auto auth = co_await authenticate(call);
  if (!auth) co_return auth.error();
  auto& messages = ctx_.messages;
  const User& me = auth->user;
  auto room_id = idOf(call.segs[1]);
  if (!room_id) co_return room_id.error();
  std::optional<json::object> body;
  if (call.req.method == "POST" || call.req.method == "PATCH") {
    auto parsed = parseObject(call.req.body, ctx_.edge.json_max_depth);
    if (!parsed) co_return parsed.error();
    body = std::move(*parsed);
  }
  if (call.is("GET", {"rooms", "*", "messages"})) {
    auto before = intParam(call.param("before"), "before");
    if (!before) co_return before.error();
    auto after = intParam(call.param("after"), "after");
    if (!after) co_return after.error();
    auto limit = intParam(call.param("limit"), "limit");
    if (!limit) co_return limit.error();
    std::optional<int> n;
    if (*limit) n = static_cast<int>(std::min<std::int64_t>(**limit, 1 << 20));
    auto page = co_await messages.historyJson(me.id, *room_id, *before, *after, n);
    if (!page) co_return page.error();
    HttpResponse r;
    r.status = 200;
    r.body = **page;
    co_return r;
  }
  if (call.is("POST", {"rooms", "*", "messages"})) {
    auto cmid = reqString(*body, "client_msg_id");
    if (!cmid) co_return cmid.error();
    auto text = optString(*body, "text");
    if (!text) co_return text.error();
    auto reply_to = optInt(*body, "reply_to");
    if (!reply_to) co_return reply_to.error();
    auto files = optStringList(*body, "files");
    if (!files) co_return files.error();
    std::string text_value = text->value_or("");  // named: see room_keys.cpp on g++ 12
    auto sent = co_await messages.send(me, *room_id, std::move(*cmid), std::move(text_value),
                                       reply_to->value_or(0), std::move(*files));
    if (!sent) co_return sent.error();
    co_return jsonResponse(sent->duplicate ? 200 : 201, {{"message", codec::event(sent->event)}});
  }
  if (call.is("POST", {"rooms", "*", "read"})) {
    auto seq = reqInt(*body, "seq");
    if (!seq) co_return seq.error();
    auto marker = co_await messages.markRead(me.id, *room_id, *seq);
    if (!marker) co_return marker.error();
    co_return jsonResponse(200, {{"last_read_seq", *marker}});
  }
  if (call.is("PATCH", {"rooms", "*", "messages", "*"}) ||
      call.is("DELETE", {"rooms", "*", "messages", "*"})) {
    auto seq = idOf(call.segs[3]);
    if (!seq) co_return seq.error();
    Result<Event> e = makeError(Code::internal, "unreachable");
    if (call.req.method == "PATCH") {
      auto text = reqString(*body, "text");
      if (!text) co_return text.error();
      e = co_await messages.edit(me, *room_id, *seq, std::move(*text));
    } else {
      e = co_await messages.remove(me, *room_id, *seq);
    }
    if (!e) co_return e.error();
    co_return jsonResponse(200, {{"event", codec::event(*e)}});
  }
  co_return makeError(Code::not_found, "no such route");
}

}  // namespace parley::api
