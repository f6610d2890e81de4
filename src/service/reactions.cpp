#include "service/reactions.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "crypto/random.h"
#include "crypto/sealer.h"
#include "service/emoji.h"

namespace parley {

void applyReactions(std::vector<StoredEvent>& events) {
  std::unordered_map<Seq, const std::string*> latest;
  for (const auto& e : events) {
    if (e.kind == EventKind::react || e.kind == EventKind::unreact) latest[e.target] = &e.reactions;
  }
  if (latest.empty()) return;
  for (auto& e : events) {
    if (e.kind != EventKind::message || e.deleted) continue;
    if (auto it = latest.find(e.seq); it != latest.end()) e.reactions = *it->second;
  }
}

// The bucket of every timeline write (--send-rate; MessageService::chargeWrite): a reaction
// is stored and fanned out to every member as a message is, so it costs what a send costs.
// Charged before anything is read, so a refused change costs nothing and answers alike
// whatever the room.
Task<Status> ReactionService::charge(UserId user) {
  std::string rate_key = "send:" + std::to_string(user);  // named (g++ 12: src/README.md)
  auto allowed = co_await cache_.hit(rate_key, limits_.send_rate_per_sec, 1000, clock_.now());
  if (allowed.allowed) co_return Status{};
  Error e = makeError(Code::rate_limited, "too many messages; slow down");
  e.retry_after_s = static_cast<int>(std::max<Millis>(1, (allowed.retry_after_ms + 999) / 1000));
  co_return e;
}

Task<Result<ReactionService::Changed>> ReactionService::change(const User& user, RoomId room,
                                                               Seq target, std::string emoji,
                                                               bool add) {
  auto canonical = canonicalEmoji(emoji);
  if (!canonical) co_return makeError(Code::bad_request, "unknown emoji");
  auto allowed = co_await charge(user.id);
  if (!allowed) co_return allowed.error();
  auto member = co_await messages_.requireMember(room, user.id);
  if (!member) co_return member.error();
  auto key = co_await keys_.current(room);
  if (!key) co_return key.error();

  AppendRequest req;
  req.room_id = room;
  req.kind = add ? EventKind::react : EventKind::unreact;
  req.event_id = crypto::newEventId();
  req.sender = user.id;
  req.target = target;
  req.now = clock_.now();
  req.key_version = key->version;
  // The event's body is the emoji, sealed as an edit's text is.
  req.sealed_body =
      crypto::seal(key->key, crypto::messageAd(room, req.event_id, key->version), *canonical);
  req.emoji = *canonical;
  req.max_emoji = limits_.max_reaction_emoji;
  auto appended = co_await store_.append(std::move(req));
  if (!appended) co_return appended.error();
  if (appended->duplicate) co_return Changed{std::nullopt, appended->event.reactions};

  messages_.pageCache().dropRoom(room);
  // Only the event goes to the cache: readers take the target's aggregate from it
  // (applyReactions), so no copy of the target is rewritten.
  co_await cache_.appendEvent(appended->event);
  std::string reactions = appended->event.reactions;
  Event e{std::move(appended->event), std::move(*canonical), user.username, {}};
  e.meta.sealed_body.clear();
  messages_.publish(e);
  co_return Changed{std::move(e), std::move(reactions)};
}

namespace {

std::optional<Seq> seqAt(const std::string& body, std::size_t event_at) {
  constexpr std::string_view kSeq = R"("seq":)";
  const auto at = body.find(kSeq, event_at);
  if (at == std::string::npos) return std::nullopt;
  Seq v = 0;
  const char* from = body.data() + at + kSeq.size();
  auto [p, ec] = std::from_chars(from, body.data() + body.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

// The seqs of a page body's first and last messages; nullopt for an empty page. Only an
// event object starts with `{"room":` (file objects start with "id"; text is escaped).
std::optional<std::pair<Seq, Seq>> pageBounds(const std::string& body) {
  constexpr std::string_view kEvent = R"({"room":)";
  const auto first = body.find(kEvent);
  const auto last = body.rfind(kEvent);
  if (first == std::string::npos) return std::nullopt;
  auto lo = seqAt(body, first);
  auto hi = seqAt(body, last);
  if (!lo || !hi) return std::nullopt;
  return std::pair{*lo, *hi};
}

}  // namespace

Task<Result<std::string>> ReactionService::withMine(UserId user, RoomId room, std::string body) {
  if (body.empty() || body.back() != '}') co_return body;
  // A message with reactions has `"reactions":[{`; text cannot hold it unescaped.
  auto bounds = pageBounds(body);
  if (!bounds || body.find(R"("reactions":[{)") == std::string::npos) {
    body.insert(body.size() - 1, R"(,"my_reactions":{})");
    co_return body;
  }
  auto mine = co_await store_.reactionsBy(room, user, bounds->first, bounds->second);
  if (!mine) co_return mine.error();
  std::string out = R"(,"my_reactions":{)";
  for (std::size_t i = 0; i < mine->size(); ++i) {
    const bool new_seq = i == 0 || (*mine)[i - 1].first != (*mine)[i].first;
    if (new_seq) out += fmt::format(R"({}"{}":[)", i == 0 ? "" : "],", (*mine)[i].first);
    if (!new_seq) out += ',';
    out += '"' + (*mine)[i].second + '"';  // allow-listed: never needs escaping
  }
  if (!mine->empty()) out += ']';
  out += '}';
  body.insert(body.size() - 1, out);
  co_return body;
}

}  // namespace parley
