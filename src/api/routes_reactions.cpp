// Reactions: add or take back one emoji on a message (docs/api.md "Reactions").
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

Awaitable<Result<HttpResponse>> change(Call& c, bool add) {
  if (!c.ctx.reactions) co_return makeError(Code::unavailable, "reactions are not available");
  std::string emoji = c.text("emoji");  // named (g++ 12: src/README.md)
  auto changed =
      co_await c.ctx.reactions->change(c.me(), c.id("id"), c.id("seq"), std::move(emoji), add);
  if (!changed) co_return changed.error();
  // The aggregate goes through the same reading as in events.
  Event target;
  target.meta.reactions = std::move(changed->reactions);
  boost::json::value reactions = codec::event(target).at("reactions");
  boost::json::value event = nullptr;
  if (changed->event) event = codec::event(*changed->event);
  co_return jsonResponse(200, {{"event", std::move(event)}, {"reactions", std::move(reactions)}});
}

Awaitable<Result<HttpResponse>> react(Call& c) { co_return co_await change(c, true); }
Awaitable<Result<HttpResponse>> unreact(Call& c) { co_return co_await change(c, false); }

constexpr Route kRoutes[] = {
    {"POST", "/rooms/{id}/messages/{seq}/reactions/{emoji}", &react},
    {"DELETE", "/rooms/{id}/messages/{seq}/reactions/{emoji}", &unreact},
};

}  // namespace

std::span<const Route> reactionRoutes() { return kRoutes; }

}  // namespace parley::api
