#include "service/presence.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "service/codec.h"
#include "service/envelope.h"
#include "service/frames.h"

namespace parley {

namespace json = boost::json;

PresenceService::PresenceService(Store& store, Cache& cache, Bus& bus, Hub& hub,
                                 UserDirectory& users, const Clock& clock, std::string node_id,
                                 Millis lease_ms, std::int64_t room_limit)
    : store_(store),
      cache_(cache),
      bus_(bus),
      hub_(hub),
      users_(users),
      clock_(clock),
      node_(std::move(node_id)),
      lease_ms_(lease_ms),
      room_limit_(room_limit) {
  hub_.setPresenceObserver([this](UserId user, bool online) {
    std::lock_guard lock(mu_);
    if (online) {
      watched_.insert(user);
    } else {
      watched_.erase(user);
    }
  });
}

std::string PresenceService::frame(UserId user, const std::string& username, bool online) const {
  return frames::presence(user, username, online);
}

Task<void> PresenceService::announce(UserId user, bool online, const std::vector<UserId>& to) {
  std::string name = co_await users_.name(user);
  auto payload = encodeEnvelope(Envelope::presence(user, online), frame(user, name, online));
  for (UserId u : to) {
    if (u != user) bus_.publish(userTopic(u), payload);
  }
}

Task<void> PresenceService::connected(UserId user, bool first_here) {
  std::vector<UserId> me{user};
  co_await cache_.presenceLease(node_, std::move(me), lease_ms_, clock_.now());
  if (!first_here) co_return;
  auto co = co_await store_.coMembers(user, room_limit_);
  if (co) co_await announce(user, true, *co);
}

Task<void> PresenceService::disconnected(UserId user, bool last_here) {
  if (!last_here) co_return;
  co_await cache_.presenceRelease(node_, user);
  std::vector<UserId> me{user};
  auto still = co_await cache_.onlineAmong(std::move(me), clock_.now());
  if (!still.empty()) co_return;  // connected on another node
  auto co = co_await store_.coMembers(user, room_limit_);
  if (co) co_await announce(user, false, *co);
}

Task<std::string> PresenceService::snapshot(UserId user) {
  auto co = co_await store_.coMembers(user, room_limit_);
  co_return co_await snapshotAmong(std::move(co));
}

Task<std::string> PresenceService::arrived(UserId user, bool first_here) {
  std::vector<UserId> me{user};
  co_await cache_.presenceLease(node_, std::move(me), lease_ms_, clock_.now());
  auto co = co_await store_.coMembers(user, room_limit_);
  if (co && first_here) co_await announce(user, true, *co);
  co_return co_await snapshotAmong(std::move(co));
}

Task<std::string> PresenceService::snapshotAmong(Result<std::vector<UserId>> co) {
  json::array listed;
  if (co) {
    auto online = co_await cache_.onlineAmong(std::move(*co), clock_.now());
    {
      std::lock_guard lock(mu_);
      watched_.insert(online.begin(), online.end());
    }
    listed.reserve(online.size());
    for (UserId other : online) {
      std::string name = co_await users_.name(other);
      listed.push_back(codec::user(other, name));
    }
  }
  co_return frames::presenceSnapshot(std::move(listed));
}

Task<std::vector<UserId>> PresenceService::onlineAmong(std::vector<UserId> users) {
  co_return co_await cache_.onlineAmong(std::move(users), clock_.now());
}

Task<void> PresenceService::introduce(RoomId room, UserId joined) {
  // A big room is introduced to nobody: reading its members would be the very cost that
  // the bound avoids, and its members are not presence peers through it.
  auto count = co_await store_.memberCount(room);
  if (!count || *count > room_limit_) {
    auto r = co_await store_.roomById(room);
    if (!r || !live(r->kind, count ? *count : 0)) co_return;
  }
  auto members = co_await store_.members(room);
  if (!members) co_return;
  std::vector<UserId> ids;
  for (auto& m : *members) ids.push_back(m.user_id);
  auto online = co_await cache_.onlineAmong(ids, clock_.now());
  bool joined_online = false;
  for (UserId u : online) {
    if (u == joined) {
      joined_online = true;
    } else {
      std::vector<UserId> to{joined};
      co_await announce(u, true, to);
    }
  }
  if (joined_online) co_await announce(joined, true, ids);
}

Task<void> PresenceService::heartbeat() {
  std::vector<UserId> local = hub_.localUsers();
  // A user of ours, just leased: if the Cache does not report them online either, it is
  // failing (a miss reads as "nobody online"), and this round proves nothing.
  const UserId canary = local.empty() ? 0 : local.front();
  if (!local.empty())
    co_await cache_.presenceLease(node_, std::move(local), lease_ms_, clock_.now());

  std::vector<UserId> watched;
  {
    std::lock_guard lock(mu_);
    watched.assign(watched_.begin(), watched_.end());
  }
  if (watched.empty() || canary == 0) co_return;
  std::vector<UserId> query = watched;
  query.push_back(canary);
  auto online = co_await cache_.onlineAmong(std::move(query), clock_.now());
  std::unordered_set<UserId> still(online.begin(), online.end());
  if (!still.count(canary)) co_return;
  for (UserId gone : watched) {
    if (still.count(gone)) continue;
    // Its node died (or lost Redis): tell this node's connections that are its peers.
    auto co = co_await store_.coMembers(gone, room_limit_);
    if (!co) continue;
    std::string name = co_await users_.name(gone);
    auto payload = encodeEnvelope(Envelope::presence(gone, false), frame(gone, name, false));
    for (UserId u : *co) hub_.onBusMessage(userTopic(u), payload);  // local delivery only
  }
}

Task<void> PresenceService::heartbeatLoop() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(lease_ms_ / 3));
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    co_await heartbeat();
  }
}

}  // namespace parley
