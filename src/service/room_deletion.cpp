#include "service/room_deletion.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>

#include "core/log.h"
#include "service/envelope.h"
#include "service/frames.h"
#include "service/hidden_room.h"

namespace parley {

namespace asio = boost::asio;

Task<Status> RoomDeletion::remove(const User& me, RoomId room) {
  if (!me.admin) {
    auto member = co_await messages_.requireMember(room, me.id);
    if (!member) co_return member.error();
    if (member->role != Role::owner) {
      co_return makeError(Code::forbidden, "only the room's owner or a server admin may delete it");
    }
  }  // a server admin may delete any room; shred() answers for one that does not exist
  std::string device = "api";
  auto gone = co_await shred(room, me.id, std::move(device));
  if (!gone) co_return gone.error();
  // Its rows and blobs go now, in the background (the node's purge loop would also).
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, purge(), [](std::exception_ptr e, Result<int> r) {
    if (e || !r) log::warn("room_purge_failed", {{"error", e ? "exception" : r.error().message}});
  });
  co_return Status{};
}

Task<Result<std::vector<UserId>>> shredRoom(Store& store, RoomKeys& keys, Millis now, RoomId room,
                                            UserId actor, std::string device) {
  auto found = co_await store.roomById(room);
  if (!found && found.error().code == Code::not_found) co_return noSuchRoom();
  if (!found) co_return found.error();
  // The keys first: once the scope is destroyed, no copy of the room's wrapped keys opens,
  // whatever happens next. Destroying is idempotent, so a failure later is repaired by
  // deleting again.
  auto destroyed = co_await keys.destroy(room);
  if (!destroyed) {
    log::warn("room_keys_destroy_failed", {{"room", room}, {"error", destroyed.error().message}});
    co_return makeError(Code::unavailable, "the key service could not destroy the room's keys");
  }
  auto members = co_await store.deleteRoom(room, now);
  if (!members && members.error().code == Code::not_found) co_return noSuchRoom();
  if (!members) co_return members.error();
  AuditEvent e;
  e.user_id = actor;
  e.kind = "room_deleted";
  e.device = std::move(device);
  e.detail = "room " + std::to_string(room) + ", " + std::to_string(members->size()) +
             " members; keys destroyed" + (keys.canShred() ? "" : " in the Store only");
  e.at = now;
  co_await store.recordAudit(std::move(e));  // best effort, as every audit row
  log::info("room_deleted", {{"room", room}, {"actor", actor}, {"shredded", keys.canShred()}});
  co_return std::move(*members);
}

Task<Result<std::vector<UserId>>> RoomDeletion::shred(RoomId room, UserId actor,
                                                      std::string device) {
  auto members = co_await shredRoom(store_, keys_, clock_.now(), room, actor, std::move(device));
  if (!members) co_return members.error();
  forget(room);
  bus_.publish(kTopic, std::make_shared<const std::string>(std::to_string(room)));
  for (UserId user : *members) {
    bus_.publish(userTopic(user),
                 encodeEnvelope(Envelope::roomRemoved(room, user), frames::roomDeleted(room)));
  }
  co_return members;
}

void RoomDeletion::forget(RoomId room) {
  keys_.evict(room);
  messages_.pageCache().dropRoom(room);
}

void RoomDeletion::onDeleted(const std::string& payload) {
  RoomId room = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), room);
  if (ec != std::errc() || end != payload.data() + payload.size() || room <= 0) return;
  forget(room);
}

Task<Result<int>> RoomDeletion::purge(int batch) {
  int finished = 0;
  for (;;) {
    auto rooms = co_await store_.roomsToPurge(16);
    if (!rooms) co_return rooms.error();
    if (rooms->empty()) co_return finished;
    for (RoomId room : *rooms) {
      for (;;) {
        auto step = co_await store_.purgeRoom(room, batch);
        if (!step) co_return step.error();
        // Rows first, then blobs: a blob left by a crash here is an orphan that the files
        // sweep removes (and it is sealed under keys that no longer exist).
        std::vector<FileRecord> files = std::move(step->files);
        co_await files_.removeBlobs(std::move(files));
        if (step->done) break;
      }
      ++finished;
      log::info("room_purged", {{"room", room}});
    }
  }
}

}  // namespace parley
