#include "service/messages.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/log.h"
#include "core/metrics.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "service/codec.h"
#include "service/envelope.h"
#include "service/frames.h"
#include "service/mentions.h"
#include "service/message_body.h"
#include "service/reactions.h"
#include "service/threads.h"

namespace parley {

Task<Result<Member>> MessageService::requireMember(RoomId room, UserId user) {
  auto m = co_await store_.member(room, user);
  if (m || m.error().code != Code::not_found) co_return m;
  auto r = co_await store_.roomById(room);
  if (r && r->is_public) co_return makeError(Code::not_member, "not a member of this room");
  if (r || r.error().code == Code::not_found) co_return noSuchRoom();
  co_return r.error();
}

// One bucket for every timeline write (send, edit, delete): each one is stored and fanned
// out to every member, so an edit costs what a send costs. Charged before anything else
// is looked at, so a refused write reads nothing and changes nothing, and the answer does
// not depend on the room (a room the sender may not see is refused like a missing one).
Task<Status> MessageService::chargeWrite(UserId sender) {
  // Named, not a temporary in the co_await (g++ 12: src/README.md).
  std::string rate_key = "send:" + std::to_string(sender);
  auto allowed = co_await cache_.hit(rate_key, limits_.send_rate_per_sec, 1000, clock_.now());
  if (allowed.allowed) co_return Status{};
  Error e = makeError(Code::rate_limited, "too many messages; slow down");
  e.retry_after_s = static_cast<int>(std::max<Millis>(1, (allowed.retry_after_ms + 999) / 1000));
  co_return e;
}

Status MessageService::checkText(const std::string& text) const {
  if (text.empty()) return makeError(Code::bad_request, "text must not be empty");
  if (text.size() > limits_.max_text_bytes) {
    return makeError(Code::message_too_long, "text is longer than the limit");
  }
  return {};
}

namespace {

// What `text` mentions, for the Store to resolve (docs/api.md "Mentions").
void addMentions(AppendRequest& req, std::string_view text) {
  mentions::Parsed parsed = mentions::parse(text);
  req.mention_names = std::move(parsed.names);
  req.mention_room = parsed.room;
  req.mention_here = parsed.here;
}

// `e` opened under its room key (not read when it has no body, as a delete has none).
Result<Event> openWithKey(StoredEvent e, std::string sender_name, std::string_view key) {
  Event out;
  out.sender_name = std::move(sender_name);
  if (!e.sealed_body.empty()) {
    auto body = openMessageBody(key, e.room_id, e.event_id, e.key_version, e.sealed_body);
    if (!body) return body.error();
    out.text = std::move(body->text);
    out.files = std::move(body->files);
    e.sealed_body.clear();
  }
  out.meta = std::move(e);
  return out;
}

}  // namespace

Task<Result<Event>> MessageService::open(StoredEvent e) {
  std::string name = co_await users_.name(e.sender);
  std::string key;
  if (!e.sealed_body.empty()) {
    auto fetched = co_await keys_.byVersion(e.room_id, e.key_version);
    if (!fetched) co_return fetched.error();
    key = std::move(fetched->key);
  }
  co_return openWithKey(std::move(e), std::move(name), key);
}

Task<Result<std::vector<Event>>> MessageService::openAll(std::vector<StoredEvent> events) {
  std::vector<Event> out;
  out.reserve(events.size());
  // A page has a few senders and key versions: each is looked up once, not per event.
  std::vector<std::pair<UserId, std::string>> names;
  std::vector<std::pair<std::pair<RoomId, std::uint32_t>, std::string>> keys;
  for (auto& e : events) {
    auto name = std::find_if(names.begin(), names.end(),
                             [&](const auto& n) { return n.first == e.sender; });
    if (name == names.end()) {
      std::string looked_up = co_await users_.name(e.sender);
      names.emplace_back(e.sender, std::move(looked_up));
      name = names.end() - 1;
    }
    std::string_view key;
    if (!e.sealed_body.empty()) {
      const std::pair<RoomId, std::uint32_t> version{e.room_id, e.key_version};
      auto known =
          std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == version; });
      if (known == keys.end()) {
        auto fetched = co_await keys_.byVersion(e.room_id, e.key_version);
        if (!fetched) co_return fetched.error();
        keys.emplace_back(version, std::move(fetched->key));
        known = keys.end() - 1;
      }
      key = known->second;
    }
    auto opened = openWithKey(std::move(e), name->second, key);
    if (!opened) co_return opened.error();
    out.push_back(std::move(*opened));
  }
  co_return out;
}

void MessageService::publish(const Event& e) {
  Envelope env = Envelope::event(e.meta.room_id, e.meta.seq, e.meta.sender);
  bus_.publish(roomTopic(e.meta.room_id), encodeEnvelope(env, frames::event(e)));
  if (on_append_) on_append_(e.meta.room_id, e.meta.seq);
}

Status MessageService::checkSend(const std::string& client_msg_id, const std::string& text,
                                 Seq reply_to, bool has_files, Seq thread_root) const {
  if (client_msg_id.empty() || client_msg_id.size() > limits_.max_client_msg_id) {
    return makeError(Code::bad_request, "client_msg_id must be 1 to 64 characters");
  }
  if (!has_files || !text.empty()) {
    if (auto ok = checkText(text); !ok) return ok.error();
  }
  if (reply_to < 0) return makeError(Code::bad_request, "reply_to must be a seq");
  if (thread_root < 0) return makeError(Code::bad_request, "thread_root must be a seq");
  if (thread_root > 0 && has_files) {
    return makeError(Code::bad_request, "a thread reply carries no files");
  }
  return Status{};
}

Task<Result<MessageService::Sent>> MessageService::send(const User& sender, RoomId room,
                                                        std::string client_msg_id, std::string text,
                                                        Seq reply_to,
                                                        std::vector<std::string> file_ids,
                                                        Seq thread_root) {
  if (auto ok = checkSend(client_msg_id, text, reply_to, !file_ids.empty(), thread_root); !ok) {
    co_return ok.error();
  }
  auto allowed = co_await chargeWrite(sender.id);
  if (!allowed) co_return allowed.error();
  MessageBody body{std::move(text), {}};
  auto key = co_await sendingKey(sender, room, file_ids, body);
  if (!key) co_return key.error();

  AppendRequest req;
  addMentions(req, body.text);
  req.room_id = room;
  req.kind = EventKind::message;
  req.event_id = crypto::newEventId();
  req.sender = sender.id;
  req.client_msg_id = std::move(client_msg_id);
  req.reply_to = reply_to;
  req.thread_root = thread_root;
  req.now = clock_.now();
  req.key_version = key->version;
  req.sealed_body = sealMessageBody(key->key, room, req.event_id, key->version, body);
  req.file_ids = std::move(file_ids);
  const bool files_checked = req.file_ids.size() == body.files.size();
  auto appended = co_await store_.append(std::move(req));
  if (!appended) co_return appended.error();
  if (!appended->duplicate && !files_checked) {
    // The Store attached files this node saw as not attachable: they cannot have changed
    // so (ids are random; room, uploader and attachment are fixed once set).
    log::error("send_attached_unchecked_files", {{"room", room}});
  }
  auto sent = co_await afterAppend(sender, std::move(*appended), std::move(body));
  co_return sent;
}

// Membership (invariant 6) is checked by the Store inside the storing transaction, so a
// plain send makes two round trips before its ack (rate limit, append) instead of three.
// Before the append only what stores nothing may run for a sender who may not be a member:
// the rate-limit hit (the sender's own counter) and sealing under a key this node already
// holds. A send that needs more (a room key to read or create, files to look up) checks
// membership first, so that a non-member never makes a key be created.
Task<Result<DataKey>> MessageService::sendingKey(const User& sender, RoomId room,
                                                 const std::vector<std::string>& file_ids,
                                                 MessageBody& body) {
  std::optional<DataKey> key = file_ids.empty() ? keys_.cachedCurrent(room) : std::nullopt;
  if (key) co_return std::move(*key);
  auto member = co_await requireMember(room, sender.id);
  if (!member) co_return member.error();
  // Files named are looked up to put their objects in the sealed body. One that is not
  // the sender's unattached upload here is left to the Store, which refuses the append
  // with invalid_file, or finds it a retry whose files were attached by the original.
  if (!file_ids.empty()) {
    auto files = co_await files_.forMessage(sender.id, room, file_ids);
    if (!files) co_return files.error();
    if (*files) body.files = std::move(**files);
  }
  auto fetched = co_await keys_.current(room);
  if (!fetched) co_return fetched.error();
  co_return std::move(*fetched);
}

// A retry answers with the original; a new message goes to the cache, then the bus.
Task<Result<MessageService::Sent>> MessageService::afterAppend(const User& sender,
                                                               AppendResult appended,
                                                               MessageBody body) {
  if (appended.duplicate) {
    auto original = co_await open(std::move(appended.event));
    if (!original) co_return original.error();
    co_return Sent{std::move(*original), true};
  }
  const RoomId room = appended.event.room_id;
  pages_.dropRoom(room);
  // Awaited before the publish: a receiver that sees a gap fills it from the cache, which
  // should hold the event by then. Spawning the append after the ack (it then ran after
  // the publish) was measured and lowered S2 on SQLite, most likely because gap fills
  // went to the Store (docs/benchmarks.md, "Durable sends, third session").
  co_await cache_.appendEvent(appended.event);
  Event e{std::move(appended.event), std::move(body.text), sender.username, std::move(body.files)};
  e.meta.sealed_body.clear();
  publish(e);
  metrics().messages_sent.inc();
  co_return Sent{std::move(e), false};
}

Task<Result<Event>> MessageService::edit(const User& sender, RoomId room, Seq target,
                                         std::string text) {
  if (auto ok = checkText(text); !ok) co_return ok.error();
  if (auto allowed = co_await chargeWrite(sender.id); !allowed) co_return allowed.error();
  auto member = co_await requireMember(room, sender.id);
  if (!member) co_return member.error();
  auto old = co_await store_.eventAt(room, target);
  if (!old) co_return old.error();
  if (old->kind != EventKind::message || old->deleted) {
    co_return makeError(Code::not_found, "no such message");
  }
  if (old->sender != sender.id) co_return makeError(Code::forbidden, "not your message");
  // The target keeps its files: its new body is sealed with them.
  MessageBody target_body{text, {}};
  {
    auto old_key = co_await keys_.byVersion(room, old->key_version);
    if (!old_key) co_return old_key.error();
    auto opened =
        openMessageBody(old_key->key, room, old->event_id, old->key_version, old->sealed_body);
    if (!opened) co_return opened.error();
    target_body.files = std::move(opened->files);
  }
  auto key = co_await keys_.current(room);
  if (!key) co_return key.error();

  AppendRequest req;
  addMentions(req, text);
  req.room_id = room;
  req.kind = EventKind::edit;
  req.event_id = crypto::newEventId();
  req.sender = sender.id;
  req.target = target;
  req.now = clock_.now();
  req.key_version = key->version;
  req.sealed_body =
      crypto::seal(key->key, crypto::messageAd(room, req.event_id, key->version), text);
  req.target_sealed_body =
      sealMessageBody(key->key, room, old->event_id, key->version, target_body);
  StoredEvent updated = *old;
  updated.sealed_body = req.target_sealed_body;
  updated.key_version = key->version;
  updated.edited_at = req.now;
  auto appended = co_await store_.append(std::move(req));
  if (!appended) co_return appended.error();
  // The target's mentions are now the new text's (the Store resolved them).
  updated.mentions = appended->event.mentions;
  updated.mention_room = appended->event.mention_room;
  updated.mention_here = appended->event.mention_here;

  pages_.dropRoom(room);
  // The target first: a cached run that holds the edit then holds its effect too, so a read
  // that finds the run ending at the room's last seq never gets the target's old body.
  co_await cache_.replaceEvent(std::move(updated));
  co_await cache_.appendEvent(appended->event);
  Event e{std::move(appended->event), std::move(text), sender.username};
  e.meta.sealed_body.clear();
  publish(e);
  co_return e;
}

Task<Result<Event>> MessageService::remove(const User& sender, RoomId room, Seq target) {
  if (auto allowed = co_await chargeWrite(sender.id); !allowed) co_return allowed.error();
  auto member = co_await requireMember(room, sender.id);
  if (!member) co_return member.error();
  auto old = co_await store_.eventAt(room, target);
  if (!old) co_return old.error();
  // Attached files are fixed, so the list read now is what the delete drops.
  auto files = co_await store_.filesOfMessage(room, target);
  if (!files) co_return files.error();

  AppendRequest req;
  req.room_id = room;
  req.kind = EventKind::del;
  req.event_id = crypto::newEventId();
  req.sender = sender.id;
  req.target = target;
  req.now = clock_.now();
  auto appended = co_await store_.append(std::move(req));
  if (!appended) co_return appended.error();

  StoredEvent tombstone = std::move(*old);
  tombstone.deleted = true;
  tombstone.sealed_body.clear();
  tombstone.reactions.clear();
  tombstone.mentions.clear();
  tombstone.mention_room = false;
  tombstone.mention_here = false;
  pages_.dropRoom(room);
  co_await cache_.replaceEvent(std::move(tombstone));  // before the delete event, as in edit()
  co_await cache_.appendEvent(appended->event);
  Event e{std::move(appended->event), "", sender.username};
  publish(e);
  co_await files_.removeBlobs(std::move(*files));
  co_return e;
}

Result<int> MessageService::checkLimit(std::optional<int> limit) const {
  int n = limit.value_or(limits_.history_default);
  if (n < 1 || n > limits_.history_max) {
    return makeError(Code::bad_request, "limit must be 1 to 200");
  }
  return n;
}

Task<Result<MessageService::Page>> MessageService::history(UserId user, RoomId room,
                                                           std::optional<Seq> before,
                                                           std::optional<Seq> after,
                                                           std::optional<int> limit) {
  auto n = checkLimit(limit);
  if (!n) co_return n.error();
  auto member = co_await requireMember(room, user);
  if (!member) co_return member.error();
  co_return co_await readPage(room, before, after, *n, member->room_last_seq);
}

Task<Result<PageCache::Body>> MessageService::historyJson(UserId user, RoomId room,
                                                          std::optional<Seq> before,
                                                          std::optional<Seq> after,
                                                          std::optional<int> limit) {
  auto n = checkLimit(limit);
  if (!n) co_return n.error();
  // Membership at this moment (invariant 6), and the version of the room's timeline.
  auto member = co_await requireMember(room, user);
  if (!member) co_return member.error();
  const Seq version = member->room_last_seq;
  const bool newest = !before && !after;
  if (newest) {
    if (auto kept = pages_.find(room, *n, version)) {
      metrics().history_page_hits.inc();
      co_return kept;
    }
  }
  auto page = co_await readPage(room, before, after, *n, version);
  if (!page) co_return page.error();
  std::string body = codec::eventsPage(page->messages, page->has_more);
  // Read no earlier than `version` was: at worst newer than it, which a reader that saw
  // `version` may be shown (its read overlapped the change), never older.
  if (newest) co_return pages_.put(room, *n, version, std::move(body));
  co_return std::make_shared<const std::string>(std::move(body));
}

Task<Result<MessageService::Page>> MessageService::readPage(RoomId room, std::optional<Seq> before,
                                                            std::optional<Seq> after, int n,
                                                            Seq last_seq) {
  if (!before && !after) {
    auto page = co_await newestFromCache(room, n, last_seq);
    if (page) {
      metrics().history_cache_hits.inc();
      co_return std::move(*page);
    }
  }
  metrics().history_store_reads.inc();
  EventQuery q;
  q.room_id = room;
  q.after = after.value_or(0);
  q.before = before.value_or(kSeqMax);
  q.limit = n + 1;  // one more tells whether there is more
  q.newest_first = !after.has_value() || before.has_value();
  q.messages_only = true;
  q.thread = 0;  // the main timeline: thread replies are paged by ThreadService
  auto rows = co_await store_.events(q);
  if (!rows) co_return rows.error();
  Page page;
  if (static_cast<int>(rows->size()) > n) {
    page.has_more = true;
    if (q.newest_first) {
      rows->erase(rows->begin());
    } else {
      rows->pop_back();
    }
  }
  auto opened = co_await openAll(std::move(*rows));
  if (!opened) co_return opened.error();
  page.messages = std::move(*opened);
  co_return page;
}

// The newest page of messages, from the Cache when it holds the room's tail: the room's
// last seq (read from the Store with the membership) proves the cached run is not lagging.
// nullopt: ask the Store.
Task<std::optional<MessageService::Page>> MessageService::newestFromCache(RoomId room, int n,
                                                                          Seq last_seq) {
  if (last_seq == 0) co_return Page{};
  const Seq window = limits_.cached_events_per_room;
  // First only the n + 1 newest events: with no edit or delete among them they are the
  // page plus the proof that there is more. Else the whole cached window.
  for (Seq span = std::min<Seq>(n + 1, window);; span = window) {
    const Seq from = std::max<Seq>(0, last_seq - span);
    auto cached = co_await cache_.recentEvents(room, from, static_cast<int>(span));
    if (!cached || cached->empty() || cached->back().seq != last_seq) break;
    applyReactions(*cached);
    applyThreads(*cached);
    std::erase_if(*cached, [](const StoredEvent& e) {
      return e.kind != EventKind::message || e.thread_root != 0;
    });
    Page page;
    if (static_cast<int>(cached->size()) > n) {
      page.has_more = true;
      cached->erase(cached->begin(), cached->end() - n);
    } else if (from != 0) {
      if (span < window) continue;
      break;  // the page may reach further back than the cache
    }
    auto opened = co_await openAll(std::move(*cached));
    if (!opened) co_return std::nullopt;
    metrics().cache_hits.inc();
    page.messages = std::move(*opened);
    co_return page;
  }
  metrics().cache_misses.inc();
  co_return std::nullopt;
}

Task<Result<Seq>> MessageService::markRead(UserId user, RoomId room, Seq seq) {
  if (seq < 0) co_return makeError(Code::bad_request, "seq must not be negative");
  auto member = co_await requireMember(room, user);
  if (!member) co_return member.error();
  auto marker = co_await store_.setReadMarker(room, user, seq);
  if (marker && *marker != member->last_read_seq) {
    bus_.publish(roomTopic(room), encodeEnvelope(Envelope::read(room, user, *marker),
                                                 frames::read(room, user, *marker)));
  }
  co_return marker;
}

Task<Status> MessageService::typing(const User& user, RoomId room) {
  // Membership first, at every call: a refusal is then the same whenever it is asked, so a
  // room the caller may not see (or has just left) never answers by falling silent where a
  // missing one answers not_found. The interval bounds fan-out, not reads.
  auto member = co_await requireMember(room, user.id);
  if (!member) co_return member.error();
  const Millis now = clock_.now();
  {
    std::lock_guard lock(typing_mu_);
    if (last_typing_.size() > 100000) last_typing_.clear();  // bounded; worst case one extra frame
    auto& last = last_typing_[fmt::format("{}:{}", user.id, room)];
    if (now - last < limits_.typing_interval_ms) co_return Status{};
    last = now;
  }
  bus_.publish(roomTopic(room), encodeEnvelope(Envelope::typing(room, user.id),
                                               frames::typing(room, user.id, user.username)));
  co_return Status{};
}

Task<Result<std::vector<Event>>> MessageService::timeline(RoomId room, Seq after, Seq before,
                                                          int limit) {
  // The cache answers only bounded reads whose whole range it holds. A cache can lag (an
  // append that has not landed yet, or a node that died between commit and append), and
  // the bound, known from the Store, is what lets a lagging answer be detected.
  if (before != kSeqMax) {
    auto cached = co_await cache_.recentEvents(room, after, limit);
    if (cached) {
      std::erase_if(*cached, [before](const StoredEvent& e) { return e.seq >= before; });
      bool complete = static_cast<int>(cached->size()) == limit ||
                      (!cached->empty() && cached->back().seq == before - 1) || after + 1 >= before;
      if (complete) {
        applyReactions(*cached);
        applyThreads(*cached);
        metrics().cache_hits.inc();
        co_return co_await openAll(std::move(*cached));
      }
    }
    metrics().cache_misses.inc();
  }
  EventQuery q;
  q.room_id = room;
  q.after = after;
  q.before = before;
  q.limit = limit;
  // No cache fill from here: a send may commit between this read and a fill, and the
  // cache would then claim a run it does not hold. The cache grows from appendEvent.
  auto rows = co_await store_.events(q);
  if (!rows) co_return rows.error();
  co_return co_await openAll(std::move(*rows));
}

}  // namespace parley
