#include "adapters/redis/redis_bus.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>

#include "adapters/redis/cluster_bus.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/connection.h"
#include "core/log.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;

// What the subscriber connection's callbacks share with the bus. It does not own the
// connection, so there is no cycle; queued deliveries hold only the handler.
struct Subscriptions {
  Subscriptions(asio::any_io_executor ex, std::string prefix, std::shared_ptr<RedisStats> stats)
      : deliver(asio::make_strand(ex)), prefix(std::move(prefix)), stats(std::move(stats)) {}

  asio::strand<asio::any_io_executor> deliver;
  const std::string prefix;
  const std::shared_ptr<RedisStats> stats;

  std::mutex mu;
  std::shared_ptr<const Bus::Handler> handler;                // guarded by mu
  std::shared_ptr<const std::function<void()>> resubscribed;  // guarded by mu
  std::unordered_set<std::string> wanted;                     // guarded by mu; topics, unprefixed

  // The subscriber connection's strand only: topics subscribed on the current connection.
  std::unordered_set<std::string> sent;

  bool isWanted(const std::string& topic) {
    std::lock_guard lock(mu);
    return wanted.contains(topic);
  }
};

// Strand only. `then` runs after Redis confirmed the command.
bool sendSubscription(Connection& conn, Subscriptions& subs, const char* verb,
                      const std::string& topic, std::function<void()> then = {}) {
  auto stats = subs.stats;
  stats->unconfirmed_subscriptions.fetch_add(1, std::memory_order_relaxed);
  const bool queued =
      conn.send({verb, subs.prefix + topic}, [stats, then = std::move(then)](Result<Reply> r) {
        stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
        if (r && r->isError()) log::error("redis_subscribe_refused", {{"error", r->str}});
        if (r && !r->isError() && then) then();
      });
  if (!queued) stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
  return queued;
}

// Strand only. Brings the connection in line with what the bus wants for `topic`. While
// the connection is not up there is nothing to do: onUp subscribes everything wanted.
void reconcile(Connection& conn, Subscriptions& subs, const std::string& topic) {
  if (!conn.up()) return;
  const bool wanted = subs.isWanted(topic);
  const bool have = subs.sent.contains(topic);
  if (wanted && !have) {
    if (sendSubscription(conn, subs, "SSUBSCRIBE", topic)) subs.sent.insert(topic);
  } else if (!wanted && have) {
    if (sendSubscription(conn, subs, "SUNSUBSCRIBE", topic)) subs.sent.erase(topic);
  }
}

void postResubscribed(const std::shared_ptr<Subscriptions>& subs) {
  std::shared_ptr<const std::function<void()>> call;
  {
    std::lock_guard lock(subs->mu);
    call = subs->resubscribed;
  }
  subs->stats->resubscribed.fetch_add(1, std::memory_order_relaxed);
  if (call) asio::post(subs->deliver, [call] { (*call)(); });
}

void onSubscriberUp(Connection& conn, const std::shared_ptr<Subscriptions>& subs,
                    bool after_outage) {
  // Marked up only once the subscriptions are counted as unconfirmed (tests wait for
  // "up and nothing unconfirmed").
  struct MarkUp {
    RedisStats& stats;
    ~MarkUp() { stats.subscriber_up.store(1, std::memory_order_relaxed); }
  } mark_up{*subs->stats};
  std::unordered_set<std::string> topics;
  {
    std::lock_guard lock(subs->mu);
    topics = subs->wanted;
  }
  subs->sent.clear();
  if (topics.empty()) {
    if (after_outage) postResubscribed(subs);
    return;
  }
  std::size_t left = topics.size();
  for (const auto& topic : topics) {
    // Replies come in order, so the last confirmation means every topic is subscribed.
    std::function<void()> then;
    if (--left == 0 && after_outage) then = [subs] { postResubscribed(subs); };
    if (sendSubscription(conn, *subs, "SSUBSCRIBE", topic, std::move(then)))
      subs->sent.insert(topic);
  }
}

void onSubscriberPush(const std::shared_ptr<Subscriptions>& subs, Reply reply) {
  const auto& el = reply.elements;
  if (reply.type != Reply::Type::array || el.size() != 3 || el[0].str != "smessage") {
    // E.g. an unsolicited "sunsubscribe" when a Cluster slot moves: never sent by a single
    // node (a cluster is served by cluster_bus.cpp).
    log::warn("redis_unexpected_push", {{"kind", el.empty() ? "" : el[0].str}});
    return;
  }
  const std::string& channel = el[1].str;
  if (channel.compare(0, subs->prefix.size(), subs->prefix) != 0) return;
  std::string topic = channel.substr(subs->prefix.size());
  std::shared_ptr<const Bus::Handler> handler;
  {
    std::lock_guard lock(subs->mu);
    if (!subs->wanted.contains(topic)) return;
    handler = subs->handler;
  }
  if (!handler) return;
  subs->stats->delivered.fetch_add(1, std::memory_order_relaxed);
  auto payload = std::make_shared<const std::string>(std::move(reply.elements[2].str));
  asio::post(subs->deliver, [handler = std::move(handler), topic = std::move(topic),
                             payload = std::move(payload)] { (*handler)(topic, payload); });
}

class RedisBus final : public Bus {
 public:
  RedisBus(asio::any_io_executor ex, RedisOptions opts) {
    auto endpoint = parseRedisUrl(opts.url);
    if (!endpoint) throw ErrorException(endpoint.error());
    if (!opts.stats) opts.stats = std::make_shared<RedisStats>();
    stats_ = opts.stats;
    prefix_ = opts.key_prefix;
    subs_ = std::make_shared<Subscriptions>(ex, opts.key_prefix, opts.stats);

    Connection::Callbacks sub_callbacks;
    sub_callbacks.on_up = [subs = subs_](Connection& conn, bool after_outage) {
      onSubscriberUp(conn, subs, after_outage);
    };
    sub_callbacks.on_down = [subs = subs_] {
      subs->sent.clear();
      subs->stats->subscriber_up.store(0, std::memory_order_relaxed);
    };
    sub_callbacks.on_push = [subs = subs_](Reply r) { onSubscriberPush(subs, std::move(r)); };
    sub_ = std::make_shared<Connection>(ex, *endpoint, opts, "bus-subscriber",
                                        std::move(sub_callbacks));

    Connection::Callbacks pub_callbacks;
    pub_callbacks.on_up = [stats = stats_](Connection&, bool) {
      stats->publisher_up.store(1, std::memory_order_relaxed);
    };
    pub_callbacks.on_down = [stats = stats_] {
      stats->publisher_up.store(0, std::memory_order_relaxed);
    };
    pub_ = std::make_shared<Connection>(ex, *endpoint, opts, "bus-publisher",
                                        std::move(pub_callbacks));
    sub_->start();
    pub_->start();
  }

  ~RedisBus() override {
    sub_->stop();
    pub_->stop();
  }

  void setHandler(Handler on_message, std::function<void()> on_resubscribed) override {
    std::lock_guard lock(subs_->mu);
    if (on_message) subs_->handler = std::make_shared<const Handler>(std::move(on_message));
    if (on_resubscribed) {
      subs_->resubscribed =
          std::make_shared<const std::function<void()>>(std::move(on_resubscribed));
    }
  }

  void subscribe(const std::string& topic) override {
    {
      std::lock_guard lock(subs_->mu);
      if (!subs_->wanted.insert(topic).second) return;
    }
    syncTopic(topic);
  }

  void unsubscribe(const std::string& topic) override {
    {
      std::lock_guard lock(subs_->mu);
      if (subs_->wanted.erase(topic) == 0) return;
    }
    syncTopic(topic);
  }

  void publish(const std::string& topic, Payload payload) override {
    if (!payload) return;
    asio::post(pub_->strand(), [pub = pub_, stats = stats_, channel = prefix_ + topic,
                                payload = std::move(payload)] {
      auto counted = [stats](Result<Reply> r) {
        if (r && r->isError()) {  // e.g. MOVED: not expected from a single node
          stats->publish_dropped.fetch_add(1, std::memory_order_relaxed);
          log::warn("redis_publish_refused", {{"error", r->str}});
        }
      };
      if (pub->up() && pub->send({"SPUBLISH", channel, *payload}, std::move(counted))) {
        stats->published.fetch_add(1, std::memory_order_relaxed);
      } else {
        stats->publish_dropped.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

 private:
  // Posting the topic (not the decision) keeps the wire in line with the latest wish even
  // when subscribe and unsubscribe race from several threads.
  // Counted as unconfirmed from here, so the gauge never reads zero while a change is queued.
  void syncTopic(const std::string& topic) {
    stats_->unconfirmed_subscriptions.fetch_add(1, std::memory_order_relaxed);
    asio::post(sub_->strand(), [sub = sub_, subs = subs_, topic] {
      reconcile(*sub, *subs, topic);
      subs->stats->unconfirmed_subscriptions.fetch_sub(1, std::memory_order_relaxed);
    });
  }

  std::shared_ptr<RedisStats> stats_;
  std::string prefix_;
  std::shared_ptr<Subscriptions> subs_;
  std::shared_ptr<Connection> sub_;
  std::shared_ptr<Connection> pub_;
};

}  // namespace

BusPtr makeRedisBus(boost::asio::any_io_executor ex, RedisOptions opts) {
  if (isClusterUrl(opts.url)) return makeClusterBus(std::move(ex), std::move(opts));
  return std::make_unique<RedisBus>(std::move(ex), std::move(opts));
}

}  // namespace parley::redis
