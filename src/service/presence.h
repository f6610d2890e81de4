// Online/offline of people who share a room. A user is online while they have at least
// one connection; the first connection and the last disconnection on this node publish
// a presence frame to every co-member's user topic.
//
// In-process view: correct for one node. (The scaled-out deployment keeps presence in Redis.)
// Thread-safe.
#pragma once

#include <vector>

#include "ports/bus.h"
#include "ports/store.h"
#include "service/hub.h"

namespace parley {

class PresenceService {
 public:
  PresenceService(Store& store, Bus& bus, Hub& hub) : store_(store), bus_(bus), hub_(hub) {}

  Task<void> changed(UserId user, const std::string& username, bool online);
  // Presence frames for the co-members of `user` who are online now.
  Task<std::vector<std::string>> snapshot(UserId user);

 private:
  Store& store_;
  Bus& bus_;
  Hub& hub_;
};

}  // namespace parley
