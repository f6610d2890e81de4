#include "service/search.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "core/metrics.h"
#include "search/matcher.h"
#include "service/message_body.h"
#include "service/search_snippet.h"

namespace parley {

namespace {

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 50;

// The order of hits: relevance sorts by exact terms first; both then newest first.
struct Key {
  std::int64_t exact = 0;
  Millis at = 0;
  RoomId room = 0;
  Seq seq = 0;
  auto tie() const { return std::tie(exact, at, room, seq); }
  bool before(const Key& o) const { return tie() > o.tie(); }  // comes first
};

std::string encodeCursor(bool recent, const Key& k) {
  return std::string(recent ? "t" : "r") + "." + std::to_string(k.exact) + "." +
         std::to_string(k.at) + "." + std::to_string(k.room) + "." + std::to_string(k.seq);
}

std::optional<Key> decodeCursor(bool recent, std::string_view s) {
  if (s.size() > 100 || s.size() < 2 || s.substr(0, 2) != (recent ? "t." : "r.")) return {};
  s.remove_prefix(2);
  std::int64_t v[4];
  for (int i = 0; i < 4; ++i) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v[i]);
    if (ec != std::errc() || v[i] < 0) return {};
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    if (i < 3 && !s.starts_with('.')) return {};
    if (i < 3) s.remove_prefix(1);
  }
  if (!s.empty()) return {};
  return Key{v[0], v[1], v[2], v[3]};
}

Error badQuery(const search::QueryError& e) {
  Error err = makeError(Code::bad_query, e.what + " (at byte " + std::to_string(e.offset) + ")");
  err.at = static_cast<std::int64_t>(e.offset);
  return err;
}

std::string lowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// The operators other than words: has:, is:reply, before:/after:/on:, from:.
bool passesFilters(const search::ParsedQuery& p, const StoredEvent& e, const MessageBody& body,
                   bool image, const std::vector<UserId>& senders) {
  if (p.has_file && body.files.empty()) return false;
  if (p.has_image && !image) return false;
  if (p.has_link && !search::hasLink(body.text)) return false;
  if (p.is_reply && e.reply_to == 0) return false;
  if (p.since && e.created_at < *p.since) return false;
  if (p.until && e.created_at >= *p.until) return false;
  return p.from.empty() || std::count(senders.begin(), senders.end(), e.sender) > 0;
}

}  // namespace

struct SearchService::Plan {
  search::ParsedQuery parsed;
  search::AnalyzedQuery analyzed;
  bool recent = false;
  int limit = kDefaultLimit;
  std::optional<Key> after;
  std::vector<UserId> senders;  // resolved from:, when any was given
};

struct SearchService::Candidate {
  Key key;
  IndexHit hit;
};

Task<Status> SearchService::resolveSenders(Plan& plan) {
  for (const auto& name : plan.parsed.from) {
    std::string n = name;
    auto u = co_await store_.userByName(std::move(n));
    if (u) plan.senders.push_back(u->id);
    if (!u && u.error().code != Code::not_found) co_return u.error();
  }
  co_return Status{};
}

// The caller's rooms now (membership, invariant 6), narrowed by in:, most active first.
Task<Result<std::vector<RoomSummary>>> SearchService::roomsToSearch(const User& me,
                                                                    const Plan& plan) {
  auto rooms = co_await store_.roomsOf(me.id);
  if (!rooms) co_return rooms.error();
  std::vector<RoomSummary> out;
  for (auto& r : *rooms) {
    bool wanted = plan.parsed.in.empty();
    for (const auto& in : plan.parsed.in) {
      wanted =
          wanted || in == std::to_string(r.room.id) || lowerAscii(in) == lowerAscii(r.room.name);
    }
    if (wanted && r.room.last_seq > 0) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.room.last_seq > b.room.last_seq; });
  if (out.size() > static_cast<std::size_t>(options_.max_rooms)) out.resize(options_.max_rooms);
  co_return out;
}

Task<Status> SearchService::collect(const User& me, const Plan& plan, std::vector<Candidate>& out,
                                    SearchPage& page) {
  auto rooms = co_await roomsToSearch(me, plan);
  if (!rooms) co_return rooms.error();
  for (const auto& r : *rooms) {
    const RoomId room = r.room.id;
    auto caught_up = co_await indexer_.catchUp(room, r.room.last_seq, options_.catch_up_events);
    if (!caught_up) co_return caught_up.error();
    auto keys = co_await indexer_.termKeys(room);
    if (!keys && keys.error().code == Code::not_found) continue;  // nothing sealed yet
    if (!keys) co_return keys.error();
    auto keyed = search::keyQuery(*keys, plan.analyzed);
    IndexQuery q{room,
                 {},
                 std::move(keyed.none_of),
                 plan.senders,
                 plan.parsed.since,
                 plan.parsed.until,
                 plan.parsed.is_reply,
                 kSeqMax,
                 options_.candidates_per_room};
    for (auto& t : keyed.all_of) q.all_of.push_back({std::move(t.exact), std::move(t.fuzzy)});
    auto total = co_await index_.count(q, options_.total_cap);
    if (!total) co_return total.error();
    if (*total == 0) continue;
    page.totals.emplace_back(room, *total);
    auto hits = co_await index_.search(std::move(q));
    if (!hits) co_return hits.error();
    for (const auto& h : *hits) {
      Key k{plan.recent ? 0 : h.exact, h.at, room, h.seq};
      if (!plan.after || plan.after->before(k)) out.push_back({k, h});
    }
  }
  co_return Status{};
}

// The candidate as a hit, if the message, opened now, still matches.
Task<Result<std::optional<SearchHit>>> SearchService::check(const Plan& plan, const Candidate& c) {
  using Out = std::optional<SearchHit>;
  auto e = co_await store_.eventAt(c.key.room, c.key.seq);
  if (!e && e.error().code == Code::not_found) co_return Out{};
  if (!e) co_return e.error();
  if (e->kind != EventKind::message || e->deleted || e->sealed_body.empty()) co_return Out{};
  auto key = co_await keys_.byVersion(e->room_id, e->key_version);
  if (!key) co_return key.error();
  auto body = openMessageBody(key->key, e->room_id, e->event_id, e->key_version, e->sealed_body);
  if (!body) co_return body.error();
  auto words = search::wordsOf(body->text);
  const std::size_t text_words = words.size();
  bool image = false;
  for (const auto& f : body->files) {
    auto more = search::wordsOf(f.name, 64);
    words.insert(words.end(), more.begin(), more.end());
    image = image || f.record.mime.starts_with("image/");
  }
  const bool filters = passesFilters(plan.parsed, *e, *body, image, plan.senders);
  auto verdict = search::verify(plan.analyzed, words);
  if (!filters || !verdict.match) co_return Out{};
  std::vector<std::size_t> marked;
  for (auto i : verdict.marked) {
    if (i < text_words) marked.push_back(i);
  }
  std::string sender_name = co_await users_.name(e->sender);
  SearchHit hit{c.key.room,
                c.key.seq,
                e->sender,
                std::move(sender_name),
                e->created_at,
                verdict.fuzzy == 0,
                makeSnippet(body->text, words, marked)};
  co_return Out{std::move(hit)};
}

Task<Status> SearchService::fillPage(const User& me, const Plan& plan, std::vector<Candidate>& all,
                                     SearchPage& page) {
  std::sort(all.begin(), all.end(),
            [](const Candidate& a, const Candidate& b) { return a.key.before(b.key); });
  // Bounded work per request: at most this many messages are read and opened.
  const std::size_t budget = static_cast<std::size_t>(plan.limit) * 4 + 20;
  std::size_t i = 0;
  for (; i < all.size() && i < budget && page.hits.size() < static_cast<std::size_t>(plan.limit);
       ++i) {
    auto hit = co_await check(plan, all[i]);
    if (!hit) co_return hit.error();
    if (*hit) page.hits.push_back(std::move(**hit));
  }
  if (i < all.size()) page.next_cursor = encodeCursor(plan.recent, all[i - 1].key);
  // Each room of the page checked again just before it is returned (invariant 6).
  std::vector<RoomId> checked, gone;
  for (const auto& h : page.hits) {
    if (std::count(checked.begin(), checked.end(), h.room)) continue;
    checked.push_back(h.room);
    auto m = co_await store_.member(h.room, me.id);
    if (!m && m.error().code != Code::not_found) co_return m.error();
    if (!m) gone.push_back(h.room);
  }
  auto left = [&](RoomId r) { return std::count(gone.begin(), gone.end(), r) > 0; };
  std::erase_if(page.hits, [&](const SearchHit& h) { return left(h.room); });
  std::erase_if(page.totals, [&](const auto& t) { return left(t.first); });
  co_return Status{};
}

Task<Result<SearchPage>> SearchService::search(const User& me, SearchRequest r) {
  Plan plan;
  auto parsed = search::parseQuery(r.q);
  if (auto* e = std::get_if<search::QueryError>(&parsed)) co_return badQuery(*e);
  plan.parsed = std::move(std::get<search::ParsedQuery>(parsed));
  auto analyzed = search::analyze(plan.parsed);
  if (auto* e = std::get_if<search::QueryError>(&analyzed)) co_return badQuery(*e);
  plan.analyzed = std::move(std::get<search::AnalyzedQuery>(analyzed));
  if (options_.synonyms) search::applySynonyms(plan.analyzed, *options_.synonyms);
  const std::string sort = r.sort.value_or("relevance");
  if (sort != "relevance" && sort != "recent") {
    co_return makeError(Code::bad_request, "sort must be relevance or recent");
  }
  plan.recent = sort == "recent";
  if (r.limit && (*r.limit < 1 || *r.limit > kMaxLimit)) {
    co_return makeError(Code::bad_request, "limit must be 1 to 50");
  }
  plan.limit = static_cast<int>(r.limit.value_or(kDefaultLimit));
  if (r.cursor) {
    plan.after = decodeCursor(plan.recent, *r.cursor);
    if (!plan.after) co_return makeError(Code::bad_request, "cursor is not one this search gave");
  }
  std::string rate_key = "search:" + std::to_string(me.id);
  auto allowed = co_await cache_.hit(rate_key, options_.rate_per_sec, 1000, clock_.now());
  if (!allowed.allowed) {
    Error e = makeError(Code::rate_limited, "too many searches; slow down");
    e.retry_after_s = static_cast<int>(std::max<Millis>(1, (allowed.retry_after_ms + 999) / 1000));
    co_return e;
  }
  auto senders = co_await resolveSenders(plan);
  if (!senders) co_return senders.error();
  SearchPage page;
  // from: naming nobody who exists finds nothing (an unknown name answers as any other).
  if (!plan.parsed.from.empty() && plan.senders.empty()) co_return page;
  std::vector<Candidate> all;
  auto collected = co_await collect(me, plan, all, page);
  if (!collected) co_return collected.error();
  auto filled = co_await fillPage(me, plan, all, page);
  if (!filled) co_return filled.error();
  metrics().searches.inc();
  co_return page;
}

}  // namespace parley
