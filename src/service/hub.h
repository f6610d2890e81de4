// The node's live fan-out: which local connections receive which room's events.
//
// The Hub subscribes the Bus to `room:<id>` for every room with a local member and to
// `user:<id>` for every user with a local connection, and routes each payload on its
// envelope header alone. Membership changes travel on the room's own topic, so a removed
// member's connections leave the room's set before any later event of that room is fanned
// out (invariant 6). Every receiver gets the same immutable payload.
//
// Shards. Connections live on a few shards (strands, about one per I/O thread). Each shard
// keeps its own room and user sets, touched only on that shard: a payload is posted once to
// each shard with receivers, and the shard pushes it to its connections one after the other,
// with no lock and no copy of the receiver set. Payloads reach each shard in Bus order, so
// one room's events keep their order. Without shards (tests, tools) routing runs inline,
// inside onBusMessage.
//
// attach, detach and every push to a client run on the client's shard; the rest is
// thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ports/bus.h"
#include "service/envelope.h"

namespace parley {

// What the Hub does with one bus payload, decided once from its kind and topic: who receives
// it, which membership change comes before the push, and how each receiver takes it.
struct BusRoute {
  enum class To { nobody, room, user };  // nobody: dropped
  enum class Before { nothing, subject_leaves, user_joins, user_leaves };
  enum class Deliver { push, push_to_others, push_to_other_sessions, revoke };
  To to = To::nobody;
  UserId user = 0;                  // To::user: the user named by the topic
  Before before = Before::nothing;  // subject: the envelope's user; user: `user` above
  Deliver deliver = Deliver::push;  // to others: not to the envelope's user (typing); to
                                    // other sessions: not to the envelope's session (alert)

  bool operator==(const BusRoute&) const = default;
};

// Room kinds go to the envelope's room whatever the topic; user kinds only arrive on
// `user:<id>` and go to that user's connections; a direct reply, an unknown kind or a user
// kind on another topic goes nowhere.
BusRoute classifyBusPayload(std::string_view topic, FrameKind kind);

class Hub {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    virtual UserId userId() const = 0;
    virtual SessionId sessionId() const = 0;
    // The shard this client lives on (from pickShard(); 0 without shards).
    virtual std::size_t shard() const { return 0; }
    // Runs on the client's shard, in Bus order: queue the item for the connection's writer.
    virtual void push(const LiveItem& item) = 0;
    // The session was revoked: close with 4001.
    virtual void revoke() = 0;
    // The bus was interrupted: check every tracked room against the Store.
    virtual void backfillAll() = 0;
  };
  using ClientPtr = std::shared_ptr<Client>;

  // `shards`: executors that serialise their handlers (strands); empty: route inline.
  explicit Hub(Bus& bus, std::vector<boost::asio::any_io_executor> shards = {});
  ~Hub();

  // The shard for a new connection (round robin) and its executor.
  std::size_t pickShard();
  std::size_t shardCount() const { return shards_.size(); }
  boost::asio::any_io_executor shardExecutor(std::size_t shard) const;

  // On the client's shard. Returns true if this is the user's first connection on this node.
  bool attach(const ClientPtr& client, const std::vector<RoomId>& rooms);
  // On the client's shard. Returns true if it was the user's last connection on this node.
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
  struct Shard;
  using Clients = std::vector<ClientPtr>;
  // Connections per room or user on each shard; decides subscriptions and where to post.
  using Counts = std::vector<std::uint32_t>;

  std::vector<std::size_t> shardsWith(const BusRoute& r, RoomId room) const;  // takes mu_
  void route(Shard& s, const BusRoute& r, const LiveItem& item);
  void applyBefore(Shard& s, const BusRoute& r, const Envelope& env);
  void joinRoom(Shard& s, const ClientPtr& c, RoomId room);
  void leaveRoom(Shard& s, UserId user, RoomId room);
  void countRoom(std::size_t shard, RoomId room, int delta);  // takes mu_
  void onShard(std::size_t shard, std::function<void(Shard&)> fn);

  Bus& bus_;
  std::function<void(UserId, bool)> presence_observer_;
  std::vector<std::unique_ptr<Shard>> shards_;  // fixed at construction
  std::size_t next_shard_ = 0;                  // GUARDED_BY(mu_)
  mutable std::mutex mu_;
  std::unordered_map<RoomId, Counts> room_counts_;  // GUARDED_BY(mu_)
  std::unordered_map<UserId, Counts> user_counts_;  // GUARDED_BY(mu_)
};

}  // namespace parley
