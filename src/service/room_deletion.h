// Deleting a room: crypto-shredding first, rows and blobs afterwards (docs/security.md,
// "Deleting a room"; DESIGN.md invariant 5).
//
// remove() destroys the room's keys before anything else: the KeyProvider destroys the
// room's shred scope (the keyring: the room's secret in the scope secrets file, which no
// backup holds), this node forgets its unwrapped keys and its rendered pages, and then the
// Store deletes, in one transaction, every version of the room's wrapped keys and its
// members (the room row stays as a tombstone). From then on nothing of the room opens: its
// messages, files, thumbnails, search tokens and cached events are sealed or keyed under
// keys that exist nowhere. The other nodes are told on the bus (kTopic) to forget their
// copies, and each member's sockets get a `room_deleted` frame. The room's rows and blobs
// are removed afterwards by purge(), resumably: a crash or a second node only repeats a
// step that removes nothing twice.
//
// Thread-safe.
#pragma once

#include <string>

#include "ports/bus.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/files.h"
#include "service/messages.h"
#include "service/room_keys.h"

namespace parley {

// The deletion without a node around it (parley admin delete-room): destroys the room's
// keys (KeyProvider scope, then the Store's wrapped keys and members, room row tombstoned)
// and records it in the audit trail. not_found for no such (or an already deleted) room;
// unavailable if the key service cannot destroy the keys now (nothing deleted). Returns
// the members the room had.
Task<Result<std::vector<UserId>>> shredRoom(Store& store, RoomKeys& keys, Millis now, RoomId room,
                                            UserId actor, std::string device);

class RoomDeletion {
 public:
  RoomDeletion(Store& store, Bus& bus, RoomKeys& keys, FilesService& files,
               MessageService& messages, const Clock& clock)
      : store_(store), bus_(bus), keys_(keys), files_(files), messages_(messages), clock_(clock) {}

  // The bus topic every node subscribes to: "<room id>" payloads of deleted rooms.
  static constexpr const char* kTopic = "parley:rooms-deleted";

  // DELETE /rooms/{id}: `me` must own the room or be a server admin (`me.admin`, which the
  // caller reads fresh: AccountService::requireAdmin, not a cached session). A room `me` may not
  // see answers not_found, exactly as a room that does not exist; a member who is not the
  // owner gets forbidden; a non-member of a public room not_member. unavailable (nothing
  // deleted) when the key service cannot destroy the keys now.
  Task<Status> remove(const User& me, RoomId room);
  // The deletion itself, authorised by the caller (parley admin delete-room; `actor` 0 for
  // the command line). Returns the members it had.
  Task<Result<std::vector<UserId>>> shred(RoomId room, UserId actor, std::string device);

  // Another node deleted `room` (a payload of kTopic): forget this node's copies.
  void onDeleted(const std::string& payload);

  // Removes the rows and blobs of deleted rooms, `batch` rows per Store call, until none is
  // left; returns how many rooms it finished.
  Task<Result<int>> purge(int batch = 500);

 private:
  void forget(RoomId room);

  Store& store_;
  Bus& bus_;
  RoomKeys& keys_;
  FilesService& files_;
  MessageService& messages_;
  const Clock& clock_;
};

}  // namespace parley
