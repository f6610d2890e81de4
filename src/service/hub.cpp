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

void Hub::onBusMessage(const std::string& topic, Bus::Payload payload) {
  auto item = decodeEnvelope(std::move(payload));
  if (!item) {
    log::warn("bus_payload_malformed", {{"topic", topic}});
    return;
  }
  const Envelope& env = item->env;
  if (env.kind == FrameKind::presence && presence_observer_) {
    presence_observer_(env.user, env.seq == 1);
  }
  UserId to = 0;
  switch (env.kind) {
    case FrameKind::event:
    case FrameKind::member:
    case FrameKind::member_gone:
    case FrameKind::read:
    case FrameKind::typing:
      break;
    case FrameKind::room_added:
    case FrameKind::room_removed:
    case FrameKind::presence:
    case FrameKind::revoke:
      if (topic.rfind("user:", 0) != 0) return;
      std::from_chars(topic.data() + 5, topic.data() + topic.size(), to);
      break;
    case FrameKind::direct:
      return;
  }
  // Only the shards with receivers get the payload.
  std::vector<std::size_t> targets;
  {
    std::lock_guard lock(mu_);
    const auto& map = to ? user_counts_ : room_counts_;
    auto it = map.find(to ? to : env.room);
    if (it == map.end()) return;
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      if (it->second[i]) targets.push_back(i);
    }
  }
  for (std::size_t i : targets) {
    onShard(i, [this, to, item = *item](Shard& s) { route(s, to, item); });
  }
}

// On shard `s`: membership changes first, then the push to every receiver.
void Hub::route(Shard& s, UserId to, const LiveItem& item) {
  const Envelope& env = item.env;
  const Clients* receivers = nullptr;
  switch (env.kind) {
    case FrameKind::member_gone:
      leaveRoom(s, env.user, env.room);
      [[fallthrough]];
    case FrameKind::event:
    case FrameKind::member:
    case FrameKind::read:
    case FrameKind::typing: {
      auto it = s.rooms.find(env.room);
      if (it != s.rooms.end()) receivers = &it->second;
      break;
    }
    default: {
      if (env.kind == FrameKind::room_added) {
        if (auto u = s.users.find(to); u != s.users.end()) {
          for (auto& c : u->second) joinRoom(s, c, env.room);
        }
      } else if (env.kind == FrameKind::room_removed) {
        leaveRoom(s, to, env.room);
      }
      auto u = s.users.find(to);
      if (u != s.users.end()) receivers = &u->second;
      break;
    }
  }
  if (!receivers) return;
  // A push may end in a revoke or close, but never in attach or detach: those run later on
  // this shard, so the set cannot change while it is walked. Index-based all the same.
  for (std::size_t i = 0; i < receivers->size(); ++i) {
    Client& c = *(*receivers)[i];
    if (env.kind == FrameKind::typing && c.userId() == env.user) continue;
    if (env.kind == FrameKind::revoke) {
      if (env.seq == 0 || c.sessionId() == env.seq) c.revoke();
      continue;
    }
    c.push(item);
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
