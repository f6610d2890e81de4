#include "adapters/redis/cluster_bus.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>

#include "adapters/redis/cluster_client.h"
#include "core/log.h"
#include "core/metrics.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kCalmRound = std::chrono::seconds(2);
constexpr auto kBusyRound = std::chrono::milliseconds(200);

// One master's subscription connection. `conn` is set once, before it starts.
struct Shard {
  explicit Shard(std::string a, bool late) : address(std::move(a)), late(late) {}
  const std::string address;
  const bool late;  // created after the first placement: its topics moved here
  std::shared_ptr<Connection> conn;
  std::atomic<bool> up{false};
  // The connection's strand only.
  std::unordered_set<std::string> sent;                // topics subscribed here
  std::unordered_multiset<std::string> unsubscribing;  // channels whose SUNSUBSCRIBE is due
};

struct Shared;
void postResubscribed(Shared& s);

// Calls on_resubscribed once the last subscription handed to it is confirmed (when the
// last reference goes), if it was handed any and none was refused (a refusal asks for
// another round, whose Resync calls it once the topic is subscribed for real).
struct Resync {
  explicit Resync(std::weak_ptr<Shared> s) : shared(std::move(s)) {}
  ~Resync() {
    auto s = shared.lock();
    if (s && sent_any.load() && !refused.load()) postResubscribed(*s);
  }
  std::weak_ptr<Shared> shared;
  std::atomic<bool> sent_any{false};
  std::atomic<bool> refused{false};
};

struct Shared : std::enable_shared_from_this<Shared> {
  Shared(asio::any_io_executor e, RedisOptions o, std::shared_ptr<ClusterClient> c)
      : ex(e),
        deliver(asio::make_strand(e)),
        control(asio::make_strand(e)),
        wake(control),
        opts(std::move(o)),
        stats(opts.stats),
        client(std::move(c)) {}

  asio::any_io_executor ex;
  asio::strand<asio::any_io_executor> deliver;
  asio::strand<asio::any_io_executor> control;
  asio::steady_timer wake;  // control only: cancelled to start a round now
  const RedisOptions opts;
  const std::shared_ptr<RedisStats> stats;
  const std::shared_ptr<ClusterClient> client;
  std::atomic<bool> dirty{false};  // a round must re-place every topic

  std::mutex mu;
  std::shared_ptr<const Bus::Handler> handler;                // guarded by mu
  std::shared_ptr<const std::function<void()>> resubscribed;  // guarded by mu
  std::unordered_set<std::string> wanted;                     // guarded by mu
  std::map<std::string, std::shared_ptr<Shard>> shards;       // guarded by mu
  bool placed_once = false;                                   // guarded by mu
  bool stopped = false;                                       // guarded by mu

  bool isWanted(const std::string& topic) {
    std::lock_guard lock(mu);
    return wanted.contains(topic);
  }
  std::vector<std::shared_ptr<Shard>> allShards() {
    std::lock_guard lock(mu);
    std::vector<std::shared_ptr<Shard>> out;
    for (auto& [address, shard] : shards) out.push_back(shard);
    return out;
  }
  void kick(bool busy) {
    if (busy) dirty = true;
    asio::post(control, [self = shared_from_this()] { self->wake.cancel(); });
  }
  // subscriber_up: every master of the current map has an up subscription connection.
  void updateUp() {
    auto map = client->slotMap();
    std::lock_guard lock(mu);
    bool all = !map->masters.empty();
    for (const auto& m : map->masters) {
      auto it = shards.find(m);
      all = all && it != shards.end() && it->second->up.load();
    }
    stats->subscriber_up.store(all ? 1 : 0);
    stats->publisher_up.store(map->version > 0 ? 1 : 0);
  }
};

void postResubscribed(Shared& s) {
  std::shared_ptr<const std::function<void()>> call;
  {
    std::lock_guard lock(s.mu);
    call = s.resubscribed;
  }
  s.stats->resubscribed.fetch_add(1, std::memory_order_relaxed);
  if (call) asio::post(s.deliver, [call] { (*call)(); });
}

// The shard's strand only. Sends one (un)subscription; a refusal (MOVED: the map is stale)
// forgets the topic here and asks for a round.
bool sendSubscription(Shared& s, const std::shared_ptr<Shard>& shard, const char* verb,
                      const std::string& topic, std::shared_ptr<Resync> resync) {
  auto stats = s.stats;
  stats->unconfirmed_subscriptions.fetch_add(1, std::memory_order_relaxed);
  auto done = [stats, weak = s.weak_from_this(), shard, topic,
               resync = std::move(resync)](Result<Reply> r) {
    stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
    if (r && r->isError()) {
      log::warn("redis_subscribe_refused", {{"node", shard->address}, {"error", r->str}});
      shard->sent.erase(topic);
      if (resync) resync->refused = true;
      if (auto s = weak.lock()) s->kick(true);
    }
  };
  const bool queued = shard->conn->send({verb, s.opts.key_prefix + topic}, std::move(done));
  if (!queued) stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
  return queued;
}

// The shard's strand only: subscribes `topic` here if this master owns its slot and the bus
// wants it, unsubscribes it otherwise.
void syncTopic(Shared& s, const std::shared_ptr<Shard>& shard, const std::string& topic,
               const std::shared_ptr<Resync>& resync) {
  if (!shard->conn->up()) return;
  const std::string channel = s.opts.key_prefix + topic;
  const bool want = s.isWanted(topic) && s.client->ownerOf(channel) == shard->address;
  const bool have = shard->sent.contains(topic);
  if (want && !have) {
    if (sendSubscription(s, shard, "SSUBSCRIBE", topic, resync)) {
      shard->sent.insert(topic);
      if (resync) resync->sent_any = true;
    }
  } else if (!want && have) {
    shard->unsubscribing.insert(channel);
    if (sendSubscription(s, shard, "SUNSUBSCRIBE", topic, nullptr)) {
      shard->sent.erase(topic);
    } else {
      shard->unsubscribing.erase(shard->unsubscribing.find(channel));
    }
  }
}

void syncShard(Shared& s, const std::shared_ptr<Shard>& shard,
               const std::shared_ptr<Resync>& resync) {
  std::unordered_set<std::string> topics = shard->sent;
  {
    std::lock_guard lock(s.mu);
    topics.insert(s.wanted.begin(), s.wanted.end());
  }
  for (const auto& topic : topics) syncTopic(s, shard, topic, resync);
}

void onShardPush(Shared& s, const std::shared_ptr<Shard>& shard, Reply reply) {
  const auto& el = reply.elements;
  if (reply.type != Reply::Type::array || el.size() != 3) return;
  const std::string& prefix = s.opts.key_prefix;
  if (el[1].str.compare(0, prefix.size(), prefix) != 0) return;
  std::string topic = el[1].str.substr(prefix.size());
  if (el[0].str == "sunsubscribe") {  // the slot moved away: resubscribe at its new owner
    s.stats->slot_moves_seen.fetch_add(1, std::memory_order_relaxed);
    metrics().redis_cluster_slot_moves.inc();
    shard->sent.erase(topic);
    s.kick(true);
    return;
  }
  if (el[0].str != "smessage") return;
  std::shared_ptr<const Bus::Handler> handler;
  {
    std::lock_guard lock(s.mu);
    if (!s.wanted.contains(topic)) return;
    handler = s.handler;
  }
  if (!handler) return;
  s.stats->delivered.fetch_add(1, std::memory_order_relaxed);
  auto payload = std::make_shared<const std::string>(std::move(reply.elements[2].str));
  asio::post(s.deliver, [handler = std::move(handler), topic = std::move(topic),
                         payload = std::move(payload)] { (*handler)(topic, payload); });
}

Connection::Callbacks shardCallbacks(const std::shared_ptr<Shared>& s,
                                     const std::shared_ptr<Shard>& shard) {
  std::weak_ptr<Shared> weak = s;
  std::weak_ptr<Shard> weak_shard = shard;
  Connection::Callbacks cb;
  cb.on_up = [weak, weak_shard](Connection&, bool after_outage) {
    auto s = weak.lock();
    auto shard = weak_shard.lock();
    if (!s || !shard) return;
    shard->sent.clear();
    shard->unsubscribing.clear();
    auto resync = after_outage || shard->late ? std::make_shared<Resync>(weak) : nullptr;
    syncShard(*s, shard, resync);
    shard->up = true;
    s->updateUp();
  };
  cb.on_down = [weak, weak_shard] {
    auto s = weak.lock();
    auto shard = weak_shard.lock();
    if (!s || !shard) return;
    shard->up = false;
    shard->sent.clear();
    shard->unsubscribing.clear();
    s->updateUp();
    s->kick(true);  // a failover may be under way: watch the map closely
  };
  cb.on_push = [weak, weak_shard](Reply r) {
    auto s = weak.lock();
    auto shard = weak_shard.lock();
    if (s && shard) onShardPush(*s, shard, std::move(r));
  };
  cb.is_push = [weak_shard](const Reply& r) {
    auto shard = weak_shard.lock();
    if (!shard || r.type != Reply::Type::array || r.elements.size() != 3) return false;
    if (r.elements[0].str != "sunsubscribe") return false;
    auto it = shard->unsubscribing.find(r.elements[1].str);
    if (it == shard->unsubscribing.end()) return true;  // nobody asked: the slot moved
    shard->unsubscribing.erase(it);
    return false;
  };
  return cb;
}

// Control strand. Creates a subscription connection for every master it has not seen, and
// re-places every topic on the others when something moved.
void placeShards(const std::shared_ptr<Shared>& s, bool moved) {
  auto map = s->client->slotMap();
  if (map->version == 0) return;
  std::vector<std::shared_ptr<Shard>> created;
  {
    std::lock_guard lock(s->mu);
    if (s->stopped) return;
    for (const auto& master : map->masters) {
      if (s->shards.contains(master)) continue;
      auto shard = std::make_shared<Shard>(master, s->placed_once);
      shard->conn =
          std::make_shared<Connection>(s->ex, s->client->endpointFor(master), s->opts,
                                       "bus-subscriber@" + master, shardCallbacks(s, shard));
      s->shards.emplace(master, shard);
      created.push_back(shard);
    }
    s->placed_once = true;
  }
  for (auto& shard : created) shard->conn->start();
  if (moved) {
    auto resync = std::make_shared<Resync>(s);
    for (auto& shard : s->allShards()) {
      asio::post(shard->conn->strand(), [s, shard, resync] { syncShard(*s, shard, resync); });
    }
  }
  s->updateUp();
}

asio::awaitable<void> watch(std::shared_ptr<Shared> s) {
  std::uint64_t placed_version = 0;
  for (;;) {
    {
      std::lock_guard lock(s->mu);
      if (s->stopped) break;
    }
    const bool dirty = s->dirty.exchange(false);
    auto loaded = co_await s->client->refresh();
    (void)loaded;
    const std::uint64_t version = s->client->slotMap()->version;
    placeShards(s, dirty || (placed_version != 0 && version != placed_version));
    placed_version = version;
    // Only current masters count: a dead ex-master may stay down for good.
    const bool down = s->stats->subscriber_up.load() == 0;
    s->wake.expires_after(dirty || down || version == 0 ? std::chrono::milliseconds(kBusyRound)
                                                        : std::chrono::milliseconds(kCalmRound));
    auto [ec] = co_await s->wake.async_wait(kAwait);
    (void)ec;
  }
}

asio::awaitable<void> republish(std::shared_ptr<ClusterClient> client,
                                std::shared_ptr<RedisStats> stats, std::string channel,
                                Bus::Payload payload) {
  std::string key = channel;
  Args args = {"SPUBLISH", channel, *payload};
  auto got = co_await client->request(std::move(key), std::move(args));
  if (!got || got->isError()) stats->publish_dropped.fetch_add(1, std::memory_order_relaxed);
}

class ClusterBus final : public Bus {
 public:
  ClusterBus(asio::any_io_executor ex, RedisOptions opts) : publish_(asio::make_strand(ex)) {
    if (!opts.stats) opts.stats = std::make_shared<RedisStats>();
    auto client = std::dynamic_pointer_cast<ClusterClient>(makeCommands(ex, opts, "bus-publisher"));
    if (!client) throw ErrorException(makeError(Code::bad_request, "not a redis+cluster URL"));
    client->start({});
    s_ = std::make_shared<Shared>(ex, std::move(opts), std::move(client));
    asio::co_spawn(s_->control, watch(s_), asio::detached);
  }

  ~ClusterBus() override {
    std::map<std::string, std::shared_ptr<Shard>> shards;
    {
      std::lock_guard lock(s_->mu);
      s_->stopped = true;
      shards.swap(s_->shards);
    }
    for (auto& [address, shard] : shards) shard->conn->stop();
    s_->client->stop();
    s_->kick(false);
  }

  void setHandler(Handler on_message, std::function<void()> on_resubscribed) override {
    std::lock_guard lock(s_->mu);
    if (on_message) s_->handler = std::make_shared<const Handler>(std::move(on_message));
    if (on_resubscribed) {
      s_->resubscribed = std::make_shared<const std::function<void()>>(std::move(on_resubscribed));
    }
  }

  void subscribe(const std::string& topic) override {
    {
      std::lock_guard lock(s_->mu);
      if (!s_->wanted.insert(topic).second) return;
    }
    syncEverywhere(topic);
  }

  void unsubscribe(const std::string& topic) override {
    {
      std::lock_guard lock(s_->mu);
      if (s_->wanted.erase(topic) == 0) return;
    }
    syncEverywhere(topic);
  }

  void publish(const std::string& topic, Payload payload) override;

 private:
  // Counted as unconfirmed until every shard looked at it (tests wait for zero).
  void syncEverywhere(const std::string& topic) {
    const bool owner_known = !s_->client->ownerOf(s_->opts.key_prefix + topic).empty();
    if (!owner_known) s_->kick(false);
    for (auto& shard : s_->allShards()) {
      s_->stats->unconfirmed_subscriptions.fetch_add(1, std::memory_order_relaxed);
      asio::post(shard->conn->strand(), [s = s_, shard, topic] {
        syncTopic(*s, shard, topic, nullptr);
        s->stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
      });
    }
  }

  asio::strand<asio::any_io_executor> publish_;  // keeps one node's publish order
  std::shared_ptr<Shared> s_;
};

// On the publish strand, the owner is looked up and the command queued on its connection's
// strand, so publishes keep their order per node.
void ClusterBus::publish(const std::string& topic, Payload payload) {
  if (!payload) return;
  asio::post(publish_, [s = s_, channel = s_->opts.key_prefix + topic,
                        payload = std::move(payload)]() mutable {
    auto stats = s->stats;
    const std::string owner = s->client->ownerOf(channel);
    auto conn = owner.empty() ? nullptr : s->client->connection(owner);
    if (!conn) {
      stats->publish_dropped.fetch_add(1, std::memory_order_relaxed);
      s->kick(false);
      return;
    }
    asio::post(conn->strand(), [s, conn, channel = std::move(channel), payload] {
      auto stats = s->stats;
      auto done = [s, channel, payload](Result<Reply> r) {
        if (!r || !r->isError()) return;  // a lost connection: dropped, receivers repair
        // MOVED or ASK (the slot moved): once more through the client, which follows it.
        asio::co_spawn(s->ex, republish(s->client, s->stats, channel, payload), asio::detached);
      };
      if (conn->send({"SPUBLISH", channel, *payload}, std::move(done))) {
        stats->published.fetch_add(1, std::memory_order_relaxed);
      } else {
        stats->publish_dropped.fetch_add(1, std::memory_order_relaxed);
      }
    });
  });
}

}  // namespace

BusPtr makeClusterBus(boost::asio::any_io_executor ex, RedisOptions opts) {
  return std::make_unique<ClusterBus>(std::move(ex), std::move(opts));
}

}  // namespace parley::redis
