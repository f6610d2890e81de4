// SearchService::suggest (docs/api.md, "Suggestions"): completions of the word being typed
// from the vocabulary of the caller's rooms (opened in memory), and people, rooms and
// operators by name.
#include <algorithm>
#include <map>

#include "core/metrics.h"
#include "search/suggest_input.h"
#include "service/search.h"

namespace parley {

namespace {

constexpr int kDefaultSuggestions = 10;
constexpr int kMaxSuggestions = 20;

bool hasSpace(std::string_view s) { return s.find(' ') != std::string_view::npos; }

// Whether `name` starts with `prefix`, case and diacritics folded.
bool nameStartsWith(std::string_view name, const std::string& folded_prefix) {
  return folded_prefix.empty() || search::fold(name).starts_with(folded_prefix);
}

}  // namespace

// The rooms' vocabularies: one index lookup for all rooms, each word opened with its room's
// key and checked against what was typed (a token can collide), counts summed over rooms.
Task<Status> SearchService::suggestWords(const std::vector<RoomSummary>& rooms,
                                         const std::string& head, const std::string& word,
                                         int limit, SuggestPage& page) {
  std::map<RoomId, search::TermKeys> keys;
  SuggestQuery q{{}, limit * 4 + 10};
  for (const auto& r : rooms) {
    const RoomId room = r.room.id;
    if (Seq pending = indexer_.pendingUpTo(room); pending > 0) {
      auto caught_up = co_await indexer_.catchUp(room, pending, options_.catch_up_events);
      if (!caught_up) co_return caught_up.error();
    }
    auto k = co_await indexer_.termKeys(room);
    if (!k && k.error().code == Code::not_found) continue;  // nothing sealed yet
    if (!k) co_return k.error();
    q.prefixes.emplace_back(room, k->prefix(word));
    keys.emplace(room, std::move(*k));
  }
  if (q.prefixes.empty()) co_return Status{};
  auto hits = co_await index_.suggest(std::move(q));
  if (!hits) co_return hits.error();
  std::map<std::string, std::int64_t> counts;
  for (const auto& h : *hits) {
    auto k = keys.find(h.room);
    if (k == keys.end()) continue;
    auto w = k->second.openWord(h.sealed, h.word);
    if (w && w->starts_with(word)) counts[*w] += h.messages;
  }
  std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > static_cast<std::size_t>(limit)) sorted.resize(limit);
  for (auto& [w, n] : sorted) page.words.push_back({w, head + w + " ", 0, n});
  co_return Status{};
}

// People who share a room with the caller (direct rooms, and rooms up to
// suggest_max_members), and the caller.
Task<Status> SearchService::suggestUsers(const User& me, const std::string& head,
                                         const std::string& name, int limit, SuggestPage& page) {
  auto ids = co_await store_.coMembers(me.id, options_.suggest_max_members);
  if (!ids) co_return ids.error();
  ids->push_back(me.id);
  const std::string prefix = search::fold(name);
  std::vector<std::pair<std::string, UserId>> found;
  for (UserId id : *ids) {
    std::string username = co_await users_.name(id);
    if (!username.empty() && nameStartsWith(username, prefix)) found.emplace_back(username, id);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  if (found.size() > static_cast<std::size_t>(limit)) found.resize(limit);
  for (auto& [username, id] : found) {
    page.users.push_back({username, head + "from:" + username + " ", id, 0});
  }
  co_return Status{};
}

Task<Result<SuggestPage>> SearchService::suggest(const User& me, SuggestRequest r) {
  auto parsed = search::parseSuggestInput(r.q);
  if (auto* e = std::get_if<search::QueryError>(&parsed)) {
    Error err =
        makeError(Code::bad_query, e->what + " (at byte " + std::to_string(e->offset) + ")");
    err.at = static_cast<std::int64_t>(e->offset);
    co_return err;
  }
  const auto in = std::move(std::get<search::SuggestInput>(parsed));
  if (r.limit && (*r.limit < 1 || *r.limit > kMaxSuggestions)) {
    co_return makeError(Code::bad_request, "limit must be 1 to 20");
  }
  const int limit = static_cast<int>(r.limit.value_or(kDefaultSuggestions));
  std::string rate_key = "suggest:" + std::to_string(me.id);
  auto allowed = co_await cache_.hit(rate_key, options_.suggest_rate_per_sec, 1000, clock_.now());
  if (!allowed.allowed) {
    Error e = makeError(Code::rate_limited, "too many suggestion requests; slow down");
    e.retry_after_s = static_cast<int>(std::max<Millis>(1, (allowed.retry_after_ms + 999) / 1000));
    co_return e;
  }
  SuggestPage page;
  // The caller's rooms now (membership, invariant 6), most active first.
  auto rooms = co_await store_.roomsOf(me.id);
  if (!rooms) co_return rooms.error();
  std::sort(rooms->begin(), rooms->end(),
            [](const auto& a, const auto& b) { return a.room.last_seq > b.room.last_seq; });
  if (in.rooms) {
    const std::string prefix = search::fold(in.name);
    for (const auto& s : *rooms) {
      const Room& room = s.room;
      if (room.name.empty() || !nameStartsWith(room.name, prefix)) continue;
      if (page.rooms.size() >= static_cast<std::size_t>(limit)) break;
      std::string target = hasSpace(room.name) ? std::to_string(room.id) : room.name;
      page.rooms.push_back({room.name, in.head + "in:" + target + " ", room.id, 0});
    }
  }
  std::erase_if(*rooms, [](const RoomSummary& s) { return s.room.last_seq == 0; });
  if (rooms->size() > static_cast<std::size_t>(options_.max_rooms)) {
    rooms->resize(options_.max_rooms);
  }
  if (!in.word.empty()) {
    auto words = co_await suggestWords(*rooms, in.head, in.word, limit, page);
    if (!words) co_return words.error();
  }
  if (in.users) {
    auto users = co_await suggestUsers(me, in.head, in.name, limit, page);
    if (!users) co_return users.error();
  }
  for (const auto& op : in.operators) {
    if (page.operators.size() < static_cast<std::size_t>(limit)) {
      page.operators.push_back({op, in.head + op, 0, 0});
    }
  }
  metrics().search_suggestions.inc();
  co_return page;
}

}  // namespace parley
