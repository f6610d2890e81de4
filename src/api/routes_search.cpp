// Search (docs/api.md, "Search" and "Suggestions"): GET /search, GET /search/suggest.
#include <boost/json.hpp>

#include "api/route_table.h"

namespace parley::api {

namespace {

namespace json = boost::json;

template <class T>
using Awaitable = boost::asio::awaitable<T>;

json::object hitJson(const SearchHit& h) {
  json::array snippet;
  for (const auto& p : h.snippet)
    snippet.push_back(json::object{{"text", p.text}, {"match", p.match}});
  return {{"room_id", h.room},
          {"seq", h.seq},
          {"sender", json::object{{"id", h.sender}, {"username", h.sender_name}}},
          {"created_at", h.at},
          {"exact", h.exact},
          {"snippet", std::move(snippet)}};
}

Awaitable<Result<HttpResponse>> search(Call& c) {
  if (!c.ctx.search) co_return makeError(Code::unavailable, "search is not available");
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  SearchRequest r{c.queryParam("q").value_or(""), c.queryParam("sort"), c.queryParam("cursor"),
                  *limit};
  auto page = co_await c.ctx.search->search(c.me(), std::move(r));
  if (!page) co_return page.error();
  json::array hits, totals;
  for (const auto& h : page->hits) hits.push_back(hitJson(h));
  for (const auto& [room, n] : page->totals) {
    totals.push_back(json::object{{"room_id", room}, {"count", n}});
  }
  json::object body{{"hits", std::move(hits)}, {"totals", std::move(totals)}};
  body["next_cursor"] = page->next_cursor ? json::value(*page->next_cursor) : json::value(nullptr);
  co_return jsonResponse(200, body);
}

json::array suggestionsJson(const std::vector<Suggestion>& list, const char* text_name) {
  json::array out;
  for (const auto& s : list) {
    json::object o{{text_name, s.text}, {"query", s.query}};
    if (s.id != 0) o["id"] = s.id;
    if (std::string_view(text_name) == "text" && s.count != 0) o["count"] = s.count;
    out.push_back(std::move(o));
  }
  return out;
}

Awaitable<Result<HttpResponse>> suggest(Call& c) {
  if (!c.ctx.search) co_return makeError(Code::unavailable, "search is not available");
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) co_return limit.error();
  SuggestRequest r{c.queryParam("q").value_or(""), *limit};
  auto page = co_await c.ctx.search->suggest(c.me(), std::move(r));
  if (!page) co_return page.error();
  json::object body{{"words", suggestionsJson(page->words, "text")},
                    {"users", suggestionsJson(page->users, "username")},
                    {"rooms", suggestionsJson(page->rooms, "name")},
                    {"operators", suggestionsJson(page->operators, "text")}};
  co_return jsonResponse(200, body);
}

constexpr Route kRoutes[] = {
    {"GET", "/search", &search},
    {"GET", "/search/suggest", &suggest},
};

}  // namespace

std::span<const Route> searchRoutes() { return kRoutes; }

}  // namespace parley::api
