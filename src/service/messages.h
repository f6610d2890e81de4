// Use cases of the timeline: send, edit, delete, history, read markers, and the reads that
// resume and live delivery make. Seals on the way in, opens on the way out; the Store and
// Cache see only ciphertext.
//
// Thread-safe: holds no per-call state. Every call checks membership at that moment
// (invariant 6) except `timeline`, whose callers (LiveFeed) have checked it.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ports/bus.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/files.h"
#include "service/hidden_room.h"
#include "service/limits.h"
#include "service/message_body.h"
#include "service/page_cache.h"
#include "service/room_keys.h"
#include "service/users.h"

namespace parley {

class MessageService {
 public:
  MessageService(Store& store, Cache& cache, Bus& bus, RoomKeys& keys, UserDirectory& users,
                 FilesService& files, const Clock& clock, const ServiceLimits& limits)
      : store_(store),
        cache_(cache),
        bus_(bus),
        keys_(keys),
        users_(users),
        files_(files),
        clock_(clock),
        limits_(limits),
        pages_(limits.history_page_cache_bytes) {}

  struct Sent {
    Event event;
    bool duplicate = false;
  };
  // `file_ids`: uploads to attach (FilesService); text may then be empty. invalid_file if
  // any is not an unattached upload of the sender in this room, unless the send is a retry.
  // `thread_root`: reply in that message's thread (Store::append; a reply carries no files).
  Task<Result<Sent>> send(const User& sender, RoomId room, std::string client_msg_id,
                          std::string text, Seq reply_to, std::vector<std::string> file_ids = {},
                          Seq thread_root = 0);
  // Both return the new timeline event (kind edit / delete). Sends, edits and deletes share
  // one rate limit per sender (--send-rate): over it, rate_limited and nothing changes.
  Task<Result<Event>> edit(const User& sender, RoomId room, Seq target, std::string text);
  Task<Result<Event>> remove(const User& sender, RoomId room, Seq target);

  struct Page {
    std::vector<Event> messages;
    bool has_more = false;
  };
  Task<Result<Page>> history(UserId user, RoomId room, std::optional<Seq> before,
                             std::optional<Seq> after, std::optional<int> limit);
  // The same page as the JSON body of docs/api.md (what GET /rooms/{id}/messages answers).
  // The newest page (no before/after) is served from this node's PageCache when the room's
  // last seq, read with the membership check, is the one the kept page was read at; else
  // it is read (Cache, then Store), rendered and kept.
  Task<Result<PageCache::Body>> historyJson(UserId user, RoomId room, std::optional<Seq> before,
                                            std::optional<Seq> after, std::optional<int> limit);
  // GET /rooms/{id}/messages?around=SEQ (messages_around.cpp): up to `limit` messages
  // centred on `around`, about half with seq <= around and half after it (a short side
  // leaves its room to the other), ascending; the body also says has_more_before and
  // has_more_after. Membership checked as in historyJson; never served from the PageCache.
  Task<Result<std::string>> aroundJson(UserId user, RoomId room, Seq around,
                                       std::optional<int> limit);
  Task<Result<Seq>> markRead(UserId user, RoomId room, Seq seq);
  // Tells the room's other members that `user` is typing (membership checked at every call);
  // at most once per typing interval per user and room (extra calls succeed, do nothing).
  Task<Status> typing(const User& user, RoomId room);

  // Timeline events with after < seq < before, ascending, at most `limit`, opened. A bounded
  // range is read from the cache when it holds all of it, else from the Store. No
  // membership check.
  Task<Result<std::vector<Event>>> timeline(RoomId room, Seq after, Seq before, int limit);

  // Opens a stored event (used for room summaries).
  Task<Result<Event>> open(StoredEvent e);
  // Opens events, looking each sender and key version up once.
  Task<Result<std::vector<Event>>> openAll(std::vector<StoredEvent> events);
  // bad_request unless 1 <= limit (default history_default) <= history_max.
  Result<int> checkLimit(std::optional<int> limit) const;

  // Called after every timeline write this node makes (send, edit, delete) with the room and
  // the new event's seq, on the writing coroutine's thread; must not block. Set once, before
  // serving (the search indexer).
  void onAppend(std::function<void(RoomId, Seq)> f) { on_append_ = std::move(f); }

  // Fans a new timeline event out to the room (the bus) and tells onAppend; after the Store
  // and the Cache have it.
  void publish(const Event& e);

  // not_member for a public room the user is not in, noSuchRoom() for anything they cannot
  // see (a room that does not exist included).
  Task<Result<Member>> requireMember(RoomId room, UserId user);

  // rate_limited (with retry_after_s) when `sender` is over --send-rate: the one bucket of
  // every write a user makes to a room (sends, edits, deletes, reactions, pins, settings).
  Task<Status> chargeWrite(UserId sender);

 private:
  // A page once membership is checked; `last_seq`: the room's, read with the membership.
  Task<Result<Page>> readPage(RoomId room, std::optional<Seq> before, std::optional<Seq> after,
                              int n, Seq last_seq);
  Task<std::optional<Page>> newestFromCache(RoomId room, int n, Seq last_seq);
  Status checkText(const std::string& text) const;
  // send's steps: what it must carry, the key to seal under (and the files' objects for the
  // body), and what follows the append.
  Status checkSend(const std::string& client_msg_id, const std::string& text, Seq reply_to,
                   bool has_files, Seq thread_root) const;
  Task<Result<DataKey>> sendingKey(const User& sender, RoomId room,
                                   const std::vector<std::string>& file_ids, MessageBody& body);
  Task<Result<Sent>> afterAppend(const User& sender, AppendResult appended, MessageBody body);

  Store& store_;
  Cache& cache_;
  Bus& bus_;
  RoomKeys& keys_;
  UserDirectory& users_;
  FilesService& files_;
  const Clock& clock_;
  const ServiceLimits& limits_;
  std::mutex typing_mu_;
  std::unordered_map<std::string, Millis> last_typing_;  // GUARDED_BY(typing_mu_)
  PageCache pages_;
  std::function<void(RoomId, Seq)> on_append_;

 public:
  // This node's rendered newest pages (tests look at it).
  PageCache& pageCache() { return pages_; }
};

}  // namespace parley
