#include "service/key_rewrap.h"

#include "service/room_keys.h"
#include "service/shared_secrets.h"

namespace parley {

namespace {

// Unwraps `wrapped` under `context` and wraps the same key again (the newest master key),
// in `scope` if one is given: a room key made before rooms had shred scopes moves into its
// room's scope, so deleting the room then shreds it.
Task<Result<std::string>> rewrapOne(KeyProvider& keys, std::string wrapped, std::string context,
                                    std::string scope) {
  std::string ctx = context;  // named (g++ 12: src/README.md)
  auto key = co_await keys.unwrap(std::move(wrapped), std::move(ctx));
  if (!key) co_return key.error();
  std::string data_key = std::move(*key);
  if (scope.empty()) {
    auto plain = co_await keys.wrap(std::move(data_key), std::move(context));
    co_return plain;
  }
  auto scoped =
      co_await keys.wrapInScope(std::move(data_key), std::move(context), std::move(scope));
  co_return scoped;
}

// Counts a compare-and-swap's outcome; an error other than conflict is returned.
Status tally(const Status& put, RewrapReport& report) {
  if (put) {
    ++report.rewrapped;
    return {};
  }
  if (put.error().code != Code::conflict) return put.error();
  ++report.changed;
  return {};
}

Task<Status> rewrapSecrets(Store& store, KeyProvider& keys, const RewrapOptions& o,
                           RewrapReport& report) {
  for (const char* name : SharedSecrets::kAllNames) {
    std::string n = name;
    auto old = co_await store.wrappedSecret(n);
    if (!old && old.error().code == Code::not_found) continue;
    if (!old) co_return old.error();
    if (o.skip && o.skip(*old)) {
      ++report.skipped;
      continue;
    }
    std::string blob = *old;
    std::string ctx = SharedSecrets::contextOf(n);
    std::string no_scope;  // shared secrets belong to no room
    auto fresh = co_await rewrapOne(keys, std::move(blob), std::move(ctx), std::move(no_scope));
    if (!fresh) co_return fresh.error();
    std::string expected = std::move(*old);
    auto put = co_await store.rewrapSecret(std::move(n), std::move(*fresh), std::move(expected));
    if (auto st = tally(put, report); !st) co_return st;
  }
  co_return Status{};
}

}  // namespace

Task<Result<RewrapReport>> rewrapAll(Store& store, KeyProvider& keys, RewrapOptions o) {
  RewrapReport report;
  RoomId room = 0;
  std::uint32_t version = 0;
  for (;;) {
    auto page = co_await store.roomKeysAfter(room, version, o.page);
    if (!page) co_return page.error();
    if (page->empty()) break;
    for (RoomKeyRecord& rec : *page) {
      room = rec.room_id;
      version = rec.version;
      if (o.skip && o.skip(rec.wrapped)) {
        ++report.skipped;
        continue;
      }
      std::string blob = rec.wrapped;
      std::string ctx = RoomKeys::context(rec.room_id, rec.version);
      std::string scope = RoomKeys::scopeOf(rec.room_id);
      auto fresh = co_await rewrapOne(keys, std::move(blob), std::move(ctx), std::move(scope));
      if (!fresh) co_return fresh.error();
      RoomKeyRecord next{rec.room_id, rec.version, std::move(*fresh)};
      auto put = co_await store.rewrapRoomKey(std::move(next), std::move(rec.wrapped));
      if (auto st = tally(put, report); !st) co_return st.error();
    }
    if (o.progress) o.progress(room, version, report);
  }
  auto secrets = co_await rewrapSecrets(store, keys, o, report);
  if (!secrets) co_return secrets.error();
  co_return report;
}

}  // namespace parley
