#include "service/search_indexer.h"

#include <boost/asio/co_spawn.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "service/message_body.h"

namespace parley {

namespace {

constexpr int kBatchEvents = 200;
constexpr std::size_t kBackgroundEventsPerRun = 5000;

}  // namespace

Task<Result<search::TermKeys>> SearchIndexer::termKeys(RoomId room) {
  auto key = co_await keys_.byVersion(room, 1);
  if (!key) co_return key.error();
  co_return search::TermKeys(key->key, room);
}

Seq SearchIndexer::pendingUpTo(RoomId room) const {
  std::lock_guard lock(mu_);
  auto it = wanted_.find(room);
  return it == wanted_.end() ? 0 : it->second;
}

std::int64_t SearchIndexer::lag() const {
  std::lock_guard lock(mu_);
  return lagLocked();
}

void SearchIndexer::publishLagLocked() {
  auto& gauge = metrics().search_index_lag;
  gauge.add(lagLocked() - published_lag_);
  published_lag_ = lagLocked();
}

std::int64_t SearchIndexer::lagLocked() const {
  std::int64_t n = 0;
  for (auto [room, seq] : wanted_) {
    auto it = indexed_to_.find(room);
    n += seq - (it == indexed_to_.end() ? 0 : std::min(it->second, seq));
  }
  return n;
}

Task<Result<IndexedMessage>> SearchIndexer::indexed(const search::TermKeys& keys,
                                                    const StoredEvent& e) {
  auto key = co_await keys_.byVersion(e.room_id, e.key_version);
  if (!key) co_return key.error();
  auto body = openMessageBody(key->key, e.room_id, e.event_id, e.key_version, e.sealed_body);
  if (!body) co_return body.error();
  // File names are searchable like text.
  auto words = search::wordsOf(body->text);
  search::DocFlags flags{!body->files.empty(), false, search::hasLink(body->text)};
  for (const auto& f : body->files) {
    auto more = search::wordsOf(f.name, 64);
    words.insert(words.end(), more.begin(), more.end());
    flags.image = flags.image || f.record.mime.starts_with("image/");
  }
  IndexedMessage m{
      e.seq, e.sender, e.created_at, e.reply_to != 0, search::documentTokens(keys, words, flags),
      {}};
  for (auto& v : search::vocabularyOf(keys, words)) {
    m.words.push_back({v.word, std::move(v.prefixes), std::move(v.sealed)});
  }
  co_return m;
}

Task<Result<Seq>> SearchIndexer::indexBatch(RoomId room, Seq from, Seq upto) {
  EventQuery q{.room_id = room, .after = from, .before = upto + 1, .limit = kBatchEvents};
  auto events = co_await store_.events(q);
  if (!events) co_return events.error();
  IndexBatch batch{room, from, events->empty() ? upto : events->back().seq, {}, {}};
  std::map<Seq, StoredEvent> changed;  // messages to index from their current state
  for (auto& e : *events) {
    if (e.kind == EventKind::message) changed[e.seq] = e;
    if (e.kind == EventKind::edit || e.kind == EventKind::del) {
      auto target = co_await store_.eventAt(room, e.target);
      if (target) changed[e.target] = std::move(*target);
    }
  }
  std::optional<search::TermKeys> keys;  // looked up once a message needs them
  for (auto& [seq, e] : changed) {
    if (e.deleted || e.sealed_body.empty() || e.kind != EventKind::message) {
      batch.remove.push_back(seq);
      continue;
    }
    if (!keys) {
      auto made = co_await termKeys(room);
      if (!made) co_return made.error();
      keys.emplace(std::move(*made));
    }
    auto m = co_await indexed(*keys, e);
    if (!m) co_return m.error();
    batch.put.push_back(std::move(*m));
  }
  const Seq to = batch.to;
  auto ok = co_await index_.apply(std::move(batch));
  if (!ok) co_return ok.error();
  metrics().search_indexed_events.inc(events->size());
  co_return to;
}

Task<Status> SearchIndexer::catchUp(RoomId room, Seq upto, std::size_t max_events) {
  Status result;
  std::size_t done = 0;
  auto from = co_await index_.watermark(room);
  while (from && *from < upto && done < max_events) {
    auto next = co_await indexBatch(room, *from, upto);
    if (!next) {
      // conflict: another node indexed this range first; start again from its watermark.
      if (next.error().code != Code::conflict) result = next.error();
      if (next.error().code != Code::conflict) break;
      from = co_await index_.watermark(room);
      continue;
    }
    done += static_cast<std::size_t>(std::max<Seq>(1, *next - *from));
    from = *next;
  }
  if (!from) result = from.error();
  {
    std::lock_guard lock(mu_);
    if (from && wanted_.count(room)) indexed_to_[room] = *from;
    if (auto w = wanted_.find(room); w != wanted_.end() && from && *from >= w->second) {
      wanted_.erase(w);
      indexed_to_.erase(room);
    }
    publishLagLocked();
  }
  co_return result;
}

// Runs while the room has writes not yet indexed; the one background run of the room on this
// node (running_), which ends under the same lock that notify checks.
Task<void> SearchIndexer::background(RoomId room) {
  while (true) {
    Seq want = 0;
    {
      std::lock_guard lock(mu_);
      auto w = wanted_.find(room);
      if (w == wanted_.end()) {
        running_.erase(room);
        co_return;
      }
      want = w->second;
    }
    auto ok = co_await catchUp(room, want, kBackgroundEventsPerRun);
    if (!ok) {
      log::warn("search_index_failed", {{"room", room}, {"error", ok.error().message}});
      std::lock_guard lock(mu_);
      running_.erase(room);  // the next write or search of the room tries again
      co_return;
    }
  }
}

void SearchIndexer::notify(boost::asio::any_io_executor executor, RoomId room, Seq seq) {
  {
    std::lock_guard lock(mu_);
    auto& w = wanted_[room];
    w = std::max(w, seq);
    publishLagLocked();
    if (!running_.insert(room).second) return;  // its run picks this up
  }
  boost::asio::co_spawn(executor, background(room), [this, room](std::exception_ptr e) {
    if (!e) return;
    log::error("search_index_crashed", {{"room", room}});
    std::lock_guard lock(mu_);
    running_.erase(room);
  });
}

}  // namespace parley
