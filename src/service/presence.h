// Online/offline of people who share a room.
//
// A user is online while some node holds an unexpired presence lease for them in the
// Cache. Each node leases its connected users and renews the leases on a heartbeat, so a
// node that dies without saying goodbye stops counting when its leases run out. Presence
// frames go to the user topics of co-members: when a user's first connection on a node
// opens, when their last connection anywhere closes, and when two people start sharing
// a room.
//
// Thread-safe.
#pragma once

#include <string>
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
  static constexpr Millis kLeaseMs = 30'000;
  static constexpr Millis kHeartbeatMs = 10'000;

  PresenceService(Store& store, Cache& cache, Bus& bus, Hub& hub, UserDirectory& users,
                  const Clock& clock, std::string node_id)
      : store_(store),
        cache_(cache),
        bus_(bus),
        hub_(hub),
        users_(users),
        clock_(clock),
        node_(std::move(node_id)) {}

  // `first_here`: the user had no other connection on this node.
  Task<void> connected(UserId user, bool first_here);
  // `last_here`: it was the user's last connection on this node.
  Task<void> disconnected(UserId user, bool last_here);
  // Presence frames for the co-members of `user` who are online now.
  Task<std::vector<std::string>> snapshot(UserId user);
  // `joined` now shares `room` with its members: each side learns who of the other is online.
  Task<void> introduce(RoomId room, UserId joined);
  // Renews this node's leases every kHeartbeatMs, until the executor stops.
  Task<void> heartbeatLoop();

 private:
  Task<void> announce(UserId user, bool online, const std::vector<UserId>& to);
  std::string frame(UserId user, const std::string& username, bool online) const;

  Store& store_;
  Cache& cache_;
  Bus& bus_;
  Hub& hub_;
  UserDirectory& users_;
  const Clock& clock_;
  const std::string node_;
};

}  // namespace parley
