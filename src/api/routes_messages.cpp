// Messages: history, send, edit, delete, the read marker (docs/api.md).
#include "api/commands.h"
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

// The page body: centred on `around` when it is given, else before/after as always.
Awaitable<Result<std::string>> historyBody(Call& c) {
  auto before = intParam(c.queryParam("before"), "before");
  if (!before) co_return before.error();
  auto after = intParam(c.queryParam("after"), "after");
  if (!after) co_return after.error();
  auto around = intParam(c.queryParam("around"), "around");
  if (!around) co_return around.error();
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  auto thread = intParam(c.queryParam("thread"), "thread");
  if (!thread) co_return thread.error();
  if (*around && (*before || *after)) {
    co_return makeError(Code::bad_request, "around cannot be combined with before or after");
  }
  if (*around && *thread) {
    co_return makeError(Code::bad_request, "around cannot be combined with thread");
  }
  std::optional<int> n;
  if (*limit) n = static_cast<int>(std::min<std::int64_t>(**limit, 1 << 20));
  if (*around) {
    co_return co_await c.ctx.messages.aroundJson(c.me().id, c.id("id"), **around, n);
  }
  if (*thread) {
    // One thread's replies, under its root (ThreadService::page).
    if (!c.ctx.threads) co_return makeError(Code::unavailable, "threads are not available");
    co_return co_await c.ctx.threads->page(c.me().id, c.id("id"), **thread, *before, *after, n);
  }
  auto page = co_await c.ctx.messages.historyJson(c.me().id, c.id("id"), *before, *after, n);
  if (!page) co_return page.error();
  co_return **page;
}

Awaitable<Result<HttpResponse>> history(Call& c) {
  auto body = co_await historyBody(c);
  if (!body) co_return body.error();
  HttpResponse r;
  r.status = 200;
  r.body = std::move(*body);
  if (c.ctx.reactions) {
    // Per viewer, so added to the shared page here (ReactionService::withMine).
    std::string shared = std::move(r.body);
    auto mine = co_await c.ctx.reactions->withMine(c.me().id, c.id("id"), std::move(shared));
    if (!mine) co_return mine.error();
    r.body = std::move(*mine);
  }
  co_return r;
}

Awaitable<Result<HttpResponse>> send(Call& c) {
  auto cmd = parseSend(c.body);
  if (!cmd) co_return cmd.error();
  auto sent = co_await c.ctx.messages.send(c.me(), c.id("id"), std::move(cmd->client_msg_id),
                                           std::move(cmd->text), cmd->reply_to,
                                           std::move(cmd->files), cmd->thread_root);
  if (!sent) co_return sent.error();
  co_return jsonResponse(sent->duplicate ? 200 : 201, {{"message", codec::event(sent->event)}});
}

Awaitable<Result<HttpResponse>> markRead(Call& c) {
  auto seq = reqInt(c.body, "seq");
  if (!seq) co_return seq.error();
  auto marker = co_await c.ctx.messages.markRead(c.me().id, c.id("id"), *seq);
  if (!marker) co_return marker.error();
  co_return jsonResponse(200, {{"last_read_seq", *marker}});
}

Awaitable<Result<HttpResponse>> edit(Call& c) {
  auto text = reqString(c.body, "text");
  if (!text) co_return text.error();
  auto e = co_await c.ctx.messages.edit(c.me(), c.id("id"), c.id("seq"), std::move(*text));
  if (!e) co_return e.error();
  co_return jsonResponse(200, {{"event", codec::event(*e)}});
}

Awaitable<Result<HttpResponse>> remove(Call& c) {
  auto e = co_await c.ctx.messages.remove(c.me(), c.id("id"), c.id("seq"));
  if (!e) co_return e.error();
  co_return jsonResponse(200, {{"event", codec::event(*e)}});
}

constexpr Route kRoutes[] = {
    {"GET", "/rooms/{id}/messages", &history},
    {"POST", "/rooms/{id}/messages", &send, Body::json},
    {"PATCH", "/rooms/{id}/messages/{seq}", &edit, Body::json},
    {"DELETE", "/rooms/{id}/messages/{seq}", &remove},
    {"POST", "/rooms/{id}/read", &markRead, Body::json},
};

}  // namespace

std::span<const Route> messageRoutes() { return kRoutes; }

}  // namespace parley::api
