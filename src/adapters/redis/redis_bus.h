// The Redis Bus: sharded pub/sub (SPUBLISH / SSUBSCRIBE), so that Redis Cluster can
// partition fan-out by topic. A single Redis 7 node accepts the same commands.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "adapters/redis/redis_options.h"
#include "ports/bus.h"

namespace parley::redis {

// Two connections: one publishes, one (dedicated) subscribes. Channels are
// `opts.key_prefix + topic`; payloads are binary-safe.
// - publish posts to the publisher connection and returns: it never blocks and never
//   delivers. While that connection is down, or its queue is over max_queued_bytes, the
//   payload is dropped and counted (stats.publish_dropped); receivers' gap detection
//   repairs it (DESIGN.md invariant 1).
// - Payloads reach the handler on a strand of `ex`, in the order Redis delivered them
//   (per topic, publish order from one publisher), only for topics subscribed at delivery.
// - subscribe/unsubscribe take effect asynchronously (stats.unconfirmed_subscriptions counts
//   those Redis has not confirmed yet); a publish racing a subscribe may be missed.
// - After the subscriber connection was lost (or its first attempt failed) and came back,
//   every topic is subscribed again and, once Redis confirmed them all, `on_resubscribed`
//   is called on the delivery strand so the node can backfill from the Store.
// For a redis+cluster:// opts.url the bus is the Cluster one (cluster_bus.h).
// Throws ErrorException (bad_request) for a malformed opts.url. `ex`'s context must outlive
// the bus; the bus may be destroyed while deliveries are queued (they do not refer to it).
BusPtr makeRedisBus(boost::asio::any_io_executor ex, RedisOptions opts);

}  // namespace parley::redis
