// Configuration and counters shared by the Redis adapters (Bus and Cache).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "domain/types.h"

namespace parley::redis {

// Counters and gauges an adapter updates as it runs (relaxed atomics, readable from any
// thread). The composition root may pass one in RedisOptions to export them; tests read it
// to wait for a condition (connection up, subscriptions confirmed).
struct RedisStats {
  // Connections of this adapter that are currently connected.
  std::atomic<std::int64_t> connections_up{0};
  std::atomic<std::uint64_t> reconnects{0};        // connections re-established after a loss
  std::atomic<std::uint64_t> request_failures{0};  // requests failed: outage, timeout, queue full

  // Redis Cluster (redis+cluster:// only).
  std::atomic<std::uint64_t> slot_map_loads{0};     // CLUSTER SLOTS answers installed
  std::atomic<std::uint64_t> redirects{0};          // MOVED and ASK replies followed
  std::atomic<std::uint64_t> redirects_refused{0};  // ... to a node the cluster does not announce
  std::atomic<std::uint64_t> slot_moves_seen{0};    // sunsubscribe pushed on a slot migration

  // Bus.
  std::atomic<std::uint64_t> published{0};        // SPUBLISH written
  std::atomic<std::uint64_t> publish_dropped{0};  // publish while disconnected or over the cap
  std::atomic<std::uint64_t> delivered{0};        // payloads handed to the handler
  std::atomic<std::uint64_t> resubscribed{0};     // times on_resubscribed was called
  std::atomic<std::int64_t> subscriber_up{0};     // 1 while the subscriber connection is up
  std::atomic<std::int64_t> publisher_up{0};      // 1 while the publisher connection is up
  std::atomic<std::int64_t> unconfirmed_subscriptions{0};  // SSUBSCRIBE/SUNSUBSCRIBE unanswered

  // Cache.
  std::atomic<std::uint64_t> cache_hits{0};      // recentEvents / session answered from Redis
  std::atomic<std::uint64_t> cache_misses{0};    // ... not held (or not provably complete)
  std::atomic<std::uint64_t> cache_errors{0};    // a method failed and applied its policy
  std::atomic<std::uint64_t> rate_fail_open{0};  // hits allowed because Redis failed
};

struct RedisOptions {
  // redis://[[user]:password@]host[:port][/db], or a Redis Cluster's seed nodes:
  // redis+cluster://[[user]:password@]host:port[,host:port...]
  std::string url = "redis://127.0.0.1:6379";
  // Prepended to every key and to every pub/sub channel, so deployments (and tests) that
  // share one Redis stay apart.
  std::string key_prefix = "parley:";

  // Cache: newest events kept per room (0 disables event caching: every read misses) and
  // how long an untouched room stays cached (refreshed by every read, append and fill).
  std::size_t events_per_room = 100;
  Millis event_ttl_ms = 3'600'000;
  // Presence keys live this long beyond their newest lease (tolerates clock skew between
  // nodes, whose `now` scores the leases); the lease itself ends at `now + ttl_ms`.
  Millis presence_slack_ms = 5'000;

  // Connection.
  // When set, each connection names itself "<client_name>:<role>" (CLIENT SETNAME), so an
  // operator can tell nodes and roles apart in CLIENT LIST. No spaces.
  std::string client_name;
  Millis connect_timeout_ms = 2'000;
  // A request unanswered this long closes the connection (its replies can no longer be
  // matched), failing every request in flight; the connection then reconnects.
  Millis request_timeout_ms = 2'000;
  Millis reconnect_min_ms = 50;  // backoff after a failed attempt, doubling up to the max
  Millis reconnect_max_ms = 5'000;
  // Bytes of commands queued but not yet written; beyond it requests fail and publishes
  // are dropped (a stalled Redis must not grow the node's memory without bound).
  std::size_t max_queued_bytes = 16 << 20;

  std::shared_ptr<RedisStats> stats;  // created by the factory when null
};

}  // namespace parley::redis
