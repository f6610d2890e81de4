// The node's live fan-out: which local connections receive which room's events.
//
// The Hub subscribes the Bus to `room:<id>` for every room with a local member and to
// `user:<id>` for every user with a local connection, and routes each payload on its
// envelope header alone. Membership changes travel on the room's own topic, so a removed
// member's connections leave the room's set before any later event of that room is fanned
// out (invariant 6). Delivery snapshots the receivers under the lock and pushes outside it;
// every receiver gets the same immutable payload.
//
// Thread-safe. Clients are held by shared_ptr until detached.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ports/bus.h"
#include "service/envelope.h"

namespace parley {

class Hub {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    virtual UserId userId() const = 0;
    virtual SessionId sessionId() const = 0;
    // Thread-safe and non-blocking: queue the item for the connection's writer.
    virtual void push(const LiveItem& item) = 0;
    // The session was revoked: close with 4001.
    virtual void revoke() = 0;
    // The bus was interrupted: check every tracked room against the Store.
    virtual void backfillAll() = 0;
  };
  using ClientPtr = std::shared_ptr<Client>;

  explicit Hub(Bus& bus);

  // Returns true if this is the user's first connection on this node.
  bool attach(const ClientPtr& client, const std::vector<RoomId>& rooms);
  // Returns true if it was the user's last connection on this node.
  bool detach(const ClientPtr& client);
  bool isOnline(UserId user) const;
  // Users with at least one connection on this node.
  std::vector<UserId> localUsers() const;

  // Routes one payload to this node's connections (also used for local-only delivery).
  void onBusMessage(const std::string& topic, Bus::Payload payload);
  // Told of every presence frame routed here (subject, online). Set once, at start-up.
  void setPresenceObserver(std::function<void(UserId, bool)> observer) {
    presence_observer_ = std::move(observer);
  }
  void onResubscribed();

 private:
  using Clients = std::vector<ClientPtr>;
  void joinRoomLocked(const ClientPtr& c, RoomId room);
  void leaveRoomLocked(UserId user, RoomId room);
  Clients roomClients(RoomId room) const;
  Clients userClients(UserId user) const;

  Bus& bus_;
  std::function<void(UserId, bool)> presence_observer_;
  mutable std::mutex mu_;
  std::unordered_map<RoomId, Clients> rooms_;                             // GUARDED_BY(mu_)
  std::unordered_map<UserId, Clients> users_;                             // GUARDED_BY(mu_)
  std::unordered_map<const Client*, std::unordered_set<RoomId>> joined_;  // GUARDED_BY(mu_)
};

}  // namespace parley
