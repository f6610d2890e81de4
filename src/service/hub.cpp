#include "service/hub.h"

#include <algorithm>
#include <charconv>

#include "core/log.h"

namespace parley {

Hub::Hub(Bus& bus) : bus_(bus) {}

namespace {
void eraseClient(std::vector<Hub::ClientPtr>& v, const Hub::Client* c) {
  v.erase(std::remove_if(v.begin(), v.end(), [c](const auto& p) { return p.get() == c; }), v.end());
}
}  // namespace

void Hub::joinRoomLocked(const ClientPtr& c, RoomId room) {
  auto& set = joined_[c.get()];
  if (!set.insert(room).second) return;
  auto& clients = rooms_[room];
  if (clients.empty()) bus_.subscribe(roomTopic(room));
  clients.push_back(c);
}

void Hub::leaveRoomLocked(UserId user, RoomId room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  auto& clients = it->second;
  for (auto c = clients.begin(); c != clients.end();) {
    if ((*c)->userId() == user) {
      joined_[c->get()].erase(room);
      c = clients.erase(c);
    } else {
      ++c;
    }
  }
  if (clients.empty()) {
    rooms_.erase(it);
    bus_.unsubscribe(roomTopic(room));
  }
}

bool Hub::attach(const ClientPtr& client, const std::vector<RoomId>& rooms) {
  std::lock_guard lock(mu_);
  auto& mine = users_[client->userId()];
  bool first = mine.empty();
  if (first) bus_.subscribe(userTopic(client->userId()));
  mine.push_back(client);
  joined_[client.get()];
  for (RoomId r : rooms) joinRoomLocked(client, r);
  return first;
}

bool Hub::detach(const ClientPtr& client) {
  std::lock_guard lock(mu_);
  if (auto j = joined_.find(client.get()); j != joined_.end()) {
    for (RoomId r : j->second) {
      auto it = rooms_.find(r);
      if (it == rooms_.end()) continue;
      eraseClient(it->second, client.get());
      if (it->second.empty()) {
        rooms_.erase(it);
        bus_.unsubscribe(roomTopic(r));
      }
    }
    joined_.erase(j);
  }
  auto u = users_.find(client->userId());
  if (u == users_.end()) return false;
  eraseClient(u->second, client.get());
  if (!u->second.empty()) return false;
  users_.erase(u);
  bus_.unsubscribe(userTopic(client->userId()));
  return true;
}

bool Hub::isOnline(UserId user) const {
  std::lock_guard lock(mu_);
  return users_.count(user) != 0;
}

std::vector<UserId> Hub::localUsers() const {
  std::lock_guard lock(mu_);
  std::vector<UserId> out;
  out.reserve(users_.size());
  for (auto& [user, clients] : users_) out.push_back(user);
  return out;
}

Hub::Clients Hub::roomClients(RoomId room) const {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(room);
  return it == rooms_.end() ? Clients{} : it->second;
}

Hub::Clients Hub::userClients(UserId user) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  return it == users_.end() ? Clients{} : it->second;
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
  Clients receivers;
  switch (env.kind) {
    case FrameKind::event:
    case FrameKind::member:
    case FrameKind::read:
    case FrameKind::typing:
      receivers = roomClients(env.room);
      break;
    case FrameKind::member_gone: {
      std::lock_guard lock(mu_);
      leaveRoomLocked(env.user, env.room);
      auto it = rooms_.find(env.room);
      if (it != rooms_.end()) receivers = it->second;
      break;
    }
    case FrameKind::room_added:
    case FrameKind::room_removed:
    case FrameKind::presence:
    case FrameKind::revoke: {
      UserId to = 0;
      if (topic.rfind("user:", 0) != 0) return;
      std::from_chars(topic.data() + 5, topic.data() + topic.size(), to);
      std::lock_guard lock(mu_);
      if (env.kind == FrameKind::room_added) {
        if (auto u = users_.find(to); u != users_.end()) {
          for (auto& c : u->second) joinRoomLocked(c, env.room);
        }
      } else if (env.kind == FrameKind::room_removed) {
        leaveRoomLocked(to, env.room);
      }
      if (auto u = users_.find(to); u != users_.end()) receivers = u->second;
      break;
    }
    case FrameKind::direct:
      return;
  }
  for (auto& c : receivers) {
    if (env.kind == FrameKind::typing && c->userId() == env.user) continue;
    if (env.kind == FrameKind::revoke) {
      if (env.seq == 0 || c->sessionId() == env.seq) c->revoke();
      continue;
    }
    c->push(*item);
  }
}

void Hub::onResubscribed() {
  std::vector<ClientPtr> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [user, clients] : users_) all.insert(all.end(), clients.begin(), clients.end());
  }
  for (auto& c : all) c->backfillAll();
}

}  // namespace parley
