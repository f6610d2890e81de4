#include "service/hub.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>

#include "core/log.h"
#include "core/metrics.h"

namespace parley {

// One shard's connections, touched only on the shard's executor (or inline without shards).
struct Hub::Shard {
  std::size_t index = 0;
  boost::asio::any_io_executor ex;  // empty: inline
  std::unordered_map<RoomId, Clients> rooms;
  std::unordered_map<UserId, Clients> users;
  std::unordered_map<const Client*, std::vector<RoomId>> joined;
};

Hub::Hub(Bus& bus, std::vector<boost::asio::any_io_executor> shards) : bus_(bus) {
  for (auto& ex : shards) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->ex = std::move(ex);
    shards_.back()->index = shards_.size() - 1;
  }
  if (shards_.empty()) shards_.push_back(std::make_unique<Shard>());
}

Hub::~Hub() = default;

std::size_t Hub::pickShard() {
  std::lock_guard lock(mu_);
  return next_shard_++ % shards_.size();
}

boost::asio::any_io_executor Hub::shardExecutor(std::size_t shard) const {
  return shards_.at(shard)->ex;
}

namespace {
void eraseClient(std::vector<Hub::ClientPtr>& v, const Hub::Client* c) {
  v.erase(std::remove_if(v.begin(), v.end(), [c](const auto& p) { return p.get() == c; }), v.end());
}

// Adds `delta` to shard `shard`'s count; returns the new total over all shards.
std::uint64_t addCount(std::vector<std::uint32_t>& counts, std::size_t shards, std::size_t shard,
                       int delta) {
  if (counts.empty()) counts.assign(shards, 0);
  counts[shard] = static_cast<std::uint32_t>(static_cast<std::int64_t>(counts[shard]) + delta);
  std::uint64_t total = 0;
  for (auto n : counts) total += n;
  return total;
}
}  // namespace

void Hub::countRoom(std::size_t shard, RoomId room, int delta) {
  std::lock_guard lock(mu_);
  auto& counts = room_counts_[room];
  std::uint64_t total = addCount(counts, shards_.size(), shard, delta);
  if (delta > 0 && total == static_cast<std::uint64_t>(delta)) bus_.subscribe(roomTopic(room));
  if (total == 0) {
    room_counts_.erase(room);
    bus_.unsubscribe(roomTopic(room));
  }
}

void Hub::joinRoom(Shard& s, const ClientPtr& c, RoomId room) {
  auto& rooms = s.joined[c.get()];
  if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) return;
  rooms.push_back(room);
  s.rooms[room].push_back(c);
  countRoom(c->shard(), room, 1);
}

void Hub::leaveRoom(Shard& s, UserId user, RoomId room) {
  auto it = s.rooms.find(room);
  if (it == s.rooms.end()) return;
  auto& clients = it->second;
  int left = 0;
  for (auto c = clients.begin(); c != clients.end();) {
    if ((*c)->userId() == user) {
      auto& rooms = s.joined[c->get()];
      rooms.erase(std::remove(rooms.begin(), rooms.end(), room), rooms.end());
      c = clients.erase(c);
      ++left;
    } else {
      ++c;
    }
  }
  if (clients.empty()) s.rooms.erase(it);
  if (left) countRoom(s.index, room, -left);
}

bool Hub::attach(const ClientPtr& client, const std::vector<RoomId>& rooms) {
  Shard& s = *shards_.at(client->shard());
  bool first = false;
  {
    std::lock_guard lock(mu_);
    auto& counts = user_counts_[client->userId()];
    first = addCount(counts, shards_.size(), client->shard(), 1) == 1;
    if (first) bus_.subscribe(userTopic(client->userId()));
  }
  s.users[client->userId()].push_back(client);
  s.joined[client.get()];
  for (RoomId r : rooms) joinRoom(s, client, r);
  return first;
}

bool Hub::detach(const ClientPtr& client) {
  Shard& s = *shards_.at(client->shard());
  if (auto j = s.joined.find(client.get()); j != s.joined.end()) {
    for (RoomId r : j->second) {
      auto it = s.rooms.find(r);
      if (it == s.rooms.end()) continue;
      eraseClient(it->second, client.get());
      if (it->second.empty()) s.rooms.erase(it);
      countRoom(client->shard(), r, -1);
    }
    s.joined.erase(j);
  }
  auto u = s.users.find(client->userId());
  if (u == s.users.end()) return false;
  eraseClient(u->second, client.get());
  if (u->second.empty()) s.users.erase(u);
  std::lock_guard lock(mu_);
  auto c = user_counts_.find(client->userId());
  if (c == user_counts_.end()) return false;
  if (addCount(c->second, shards_.size(), client->shard(), -1) != 0) return false;
  user_counts_.erase(c);
  bus_.unsubscribe(userTopic(client->userId()));
  return true;
}

bool Hub::isOnline(UserId user) const {
  std::lock_guard lock(mu_);
  return user_counts_.count(user) != 0;
}

std::vector<UserId> Hub::localUsers() const {
  std::lock_guard lock(mu_);
  std::vector<UserId> out;
  out.reserve(user_counts_.size());
  for (auto& [user, counts] : user_counts_) out.push_back(user);
  return out;
}

void Hub::onShard(std::size_t shard, std::function<void(Shard&)> fn) {
  Shard& s = *shards_[shard];
  if (!s.ex) {
    fn(s);
    return;
  }
  boost::asio::post(s.ex, [&s, fn = std::move(fn)] { fn(s); });
}

namespace {

BusRoute toUser(std::string_view topic, BusRoute::Before before,
                BusRoute::Deliver deliver = BusRoute::Deliver::push) {
  constexpr std::string_view kPrefix = "user:";
  if (topic.substr(0, kPrefix.size()) != kPrefix) return {};
  UserId user = 0;
  std::from_chars(topic.data() + kPrefix.size(), topic.data() + topic.size(), user);
  if (user == 0) return {};  // no connection has user 0: nobody to reach
  return {BusRoute::To::user, user, before, deliver};
}

}  // namespace

BusRoute classifyBusPayload(std::string_view topic, FrameKind kind) {
  using To = BusRoute::To;
  using Before = BusRoute::Before;
  using Deliver = BusRoute::Deliver;
  switch (kind) {
    case FrameKind::event:
    case FrameKind::member:
    case FrameKind::read:
      return {To::room};
    case FrameKind::typing:
      return {To::room, 0, Before::nothing, Deliver::push_to_others};
    case FrameKind::member_gone:
      return {To::room, 0, Before::subject_leaves};
    case FrameKind::room_added:
      return toUser(topic, Before::user_joins);
    case FrameKind::room_removed:
      return toUser(topic, Before::user_leaves);
    case FrameKind::presence:
      return toUser(topic, Before::nothing);
    case FrameKind::revoke:
      return toUser(topic, Before::nothing, Deliver::revoke);
    case FrameKind::alert:
      return toUser(topic, Before::nothing, Deliver::push_to_other_sessions);
    case FrameKind::profile:
      return toUser(topic, Before::nothing);
    case FrameKind::direct:
      return {};
  }
  return {};  // a kind byte no node sends
}

void Hub::onBusMessage(const std::string& topic, Bus::Payload payload) {
  auto item = decodeEnvelope(std::move(payload));
  if (!item) {
    log::warn("bus_payload_malformed", {{"topic", topic}});
    return;
  }
  const Envelope& env = item->env;
  if (env.kind == FrameKind::presence && presence_observer_) {
    presence_observer_(env.user, env.online);
  }
  const BusRoute r = classifyBusPayload(topic, env.kind);
  if (r.to == BusRoute::To::nobody) return;
  for (std::size_t i : shardsWith(r, env.room)) {
    onShard(i, [this, r, item = *item](Shard& s) { route(s, r, item); });
  }
}

// Only the shards with receivers get the payload.
std::vector<std::size_t> Hub::shardsWith(const BusRoute& r, RoomId room) const {
  std::vector<std::size_t> targets;
  std::lock_guard lock(mu_);
  const bool to_user = r.to == BusRoute::To::user;
  const auto& map = to_user ? user_counts_ : room_counts_;
  auto it = map.find(to_user ? r.user : room);
  if (it == map.end()) return targets;
  for (std::size_t i = 0; i < it->second.size(); ++i) {
    if (it->second[i]) targets.push_back(i);
  }
  return targets;
}

void Hub::applyBefore(Shard& s, const BusRoute& r, const Envelope& env) {
  switch (r.before) {
    case BusRoute::Before::nothing:
      break;
    case BusRoute::Before::subject_leaves:
      leaveRoom(s, env.user, env.room);
      break;
    case BusRoute::Before::user_joins:
      if (auto u = s.users.find(r.user); u != s.users.end()) {
        for (auto& c : u->second) joinRoom(s, c, env.room);
      }
      break;
    case BusRoute::Before::user_leaves:
      leaveRoom(s, r.user, env.room);
      break;
  }
}

// On shard `s`: the membership change first, then the push to every receiver.
void Hub::route(Shard& s, const BusRoute& r, const LiveItem& item) {
  const Envelope& env = item.env;
  applyBefore(s, r, env);
  const Clients* receivers = nullptr;
  if (r.to == BusRoute::To::room) {
    if (auto it = s.rooms.find(env.room); it != s.rooms.end()) receivers = &it->second;
  } else if (auto it = s.users.find(r.user); it != s.users.end()) {
    receivers = &it->second;
  }
  if (!receivers) return;
  // A push may end in a revoke or close, but never in attach or detach: those run later on
  // this shard, so the set cannot change while it is walked. Index-based all the same.
  for (std::size_t i = 0; i < receivers->size(); ++i) {
    Client& c = *(*receivers)[i];
    switch (r.deliver) {
      case BusRoute::Deliver::push:
        c.push(item);
        break;
      case BusRoute::Deliver::push_to_others:
        if (c.userId() != env.user) c.push(item);
        break;
      case BusRoute::Deliver::push_to_other_sessions:
        if (c.sessionId() != env.session) c.push(item);
        break;
      case BusRoute::Deliver::revoke:
        if (env.session == 0 || c.sessionId() == env.session) c.revoke();
        break;
    }
  }
}

void Hub::onResubscribed() {
  metrics().bus_backfills.inc();
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    onShard(i, [](Shard& s) {
      Clients all;
      for (auto& [user, clients] : s.users) all.insert(all.end(), clients.begin(), clients.end());
      for (auto& c : all) c->backfillAll();
    });
  }
}

}  // namespace parley
