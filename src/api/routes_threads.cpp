// Threads: following one, its read marker, the threads I follow (docs/api.md "Threads").
// A thread's replies are paged by GET /rooms/{id}/messages?thread=SEQ (routes_messages.cpp).
#include "api/json_input.h"
#include "api/route_table.h"

namespace parley::api {

namespace {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

Awaitable<Result<HttpResponse>> setFollow(Call& c, bool on) {
  if (!c.ctx.threads) co_return makeError(Code::unavailable, "threads are not available");
  auto ok = co_await c.ctx.threads->follow(c.me().id, c.id("id"), c.id("seq"), on);
  if (!ok) co_return ok.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> follow(Call& c) { co_return co_await setFollow(c, true); }
Awaitable<Result<HttpResponse>> unfollow(Call& c) { co_return co_await setFollow(c, false); }

Awaitable<Result<HttpResponse>> markRead(Call& c) {
  if (!c.ctx.threads) co_return makeError(Code::unavailable, "threads are not available");
  auto seq = reqInt(c.body, "seq");
  if (!seq) co_return seq.error();
  auto marker = co_await c.ctx.threads->markRead(c.me().id, c.id("id"), c.id("seq"), *seq);
  if (!marker) co_return marker.error();
  co_return jsonResponse(200, {{"last_read_seq", *marker}});
}

Awaitable<Result<HttpResponse>> followed(Call& c) {
  if (!c.ctx.threads) co_return makeError(Code::unavailable, "threads are not available");
  auto body = co_await c.ctx.threads->followed(c.me().id);
  if (!body) co_return body.error();
  HttpResponse r;
  r.status = 200;
  r.body = std::move(*body);
  co_return r;
}

constexpr Route kRoutes[] = {
    {"PUT", "/rooms/{id}/threads/{seq}/follow", &follow},
    {"DELETE", "/rooms/{id}/threads/{seq}/follow", &unfollow},
    {"POST", "/rooms/{id}/threads/{seq}/read", &markRead, Body::json},
    {"GET", "/threads", &followed},
};

}  // namespace

std::span<const Route> threadRoutes() { return kRoutes; }

}  // namespace parley::api
