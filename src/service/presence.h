// Online/offline of people who share a room.
//
// A user is online while some node holds an unexpired presence lease for them in the
// Cache. Each node leases its connected users and renews the leases on a heartbeat, so a
// node that dies without saying goodbye stops counting when its leases run out.
//
// Live presence is bounded: frames flow between two users only if they share a direct
// room, or a group room of at most `room_limit` members (their "presence peers"). Being
// together only in bigger rooms gives no frames; there presence is read on demand
// (onlineAmong, for the member list). So a user's connect, disconnect and snapshot cost
// at most the sizes of their small rooms, never the size of a big one.
//
// Presence frames go to the user topics of presence peers: when a user's first connection
// on a node opens, when their last connection anywhere closes, and when two people start
// sharing a small room. A node that dies says nothing, so every node also watches the
// users it relayed as online: on each heartbeat, those whose leases ran out are announced
// offline to the node's own connections.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "ports/bus.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/hub.h"
#include "service/users.h"

namespace parley {

class PresenceService {
 public:
  static constexpr Millis kDefaultLeaseMs = 30'000;
  static constexpr std::int64_t kDefaultRoomLimit = 200;

  // Leases last `lease_ms`; the heartbeat renews them every third of that. Group rooms of
  // more than `room_limit` members carry no live presence.
  PresenceService(Store& store, Cache& cache, Bus& bus, Hub& hub, UserDirectory& users,
                  const Clock& clock, std::string node_id, Millis lease_ms = kDefaultLeaseMs,
                  std::int64_t room_limit = kDefaultRoomLimit);

  std::int64_t roomLimit() const { return room_limit_; }
  // Whether a room of this kind and size carries live presence frames.
  bool live(RoomKind kind, std::int64_t members) const {
    return kind == RoomKind::direct || members <= room_limit_;
  }

  // `first_here`: the user had no other connection on this node.
  Task<void> connected(UserId user, bool first_here);
  // `last_here`: it was the user's last connection on this node.
  Task<void> disconnected(UserId user, bool last_here);
  // The one presence_snapshot frame: the presence peers of `user` who are online now.
  Task<std::string> snapshot(UserId user);
  // A hello's connected() and then snapshot(), reading the presence peers from the Store
  // once for both (a reconnect storm costs the Store one query per socket, not two).
  Task<std::string> arrived(UserId user, bool first_here);
  // `joined` now shares `room` with its members: if the room carries live presence, each
  // side learns who of the other is online.
  Task<void> introduce(RoomId room, UserId joined);
  // Which of `users` are online now (one Cache round trip), in the order given.
  Task<std::vector<UserId>> onlineAmong(std::vector<UserId> users);
  // Renews this node's leases and checks the watched users, until the executor stops.
  Task<void> heartbeatLoop();
  // One heartbeat (the loop's body): renew leases, announce watched users who went away.
  Task<void> heartbeat();

 private:
  Task<void> announce(UserId user, bool online, const std::vector<UserId>& to);
  // The presence_snapshot frame of those of `peers` online now (none if the read failed).
  Task<std::string> snapshotAmong(Result<std::vector<UserId>> peers);
  std::string frame(UserId user, const std::string& username, bool online) const;

  Store& store_;
  Cache& cache_;
  Bus& bus_;
  Hub& hub_;
  UserDirectory& users_;
  const Clock& clock_;
  const std::string node_;
  const Millis lease_ms_;
  const std::int64_t room_limit_;
  std::mutex mu_;
  std::unordered_set<UserId> watched_;  // GUARDED_BY(mu_): relayed here as online
};

}  // namespace parley
