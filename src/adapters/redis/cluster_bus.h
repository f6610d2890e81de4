// The Bus on a Redis Cluster: SPUBLISH to the master owning the channel's slot, one
// subscription connection per master (SSUBSCRIBE only works at the slot's owner).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "adapters/redis/redis_options.h"
#include "ports/bus.h"

namespace parley::redis {

// As makeRedisBus (redis_bus.h), with opts.url redis+cluster://. In addition:
// - The slot map is reloaded every 2 s, and every 200 ms while a master's subscription
//   connection is down, after a pushed "sunsubscribe" (its slot moved) and after a
//   refused SSUBSCRIBE (MOVED). Each topic is then subscribed at its slot's current owner
//   and unsubscribed elsewhere; once the owners confirmed every topic that had to move,
//   `on_resubscribed` is called so the node backfills from the Store.
// - A publish refused with MOVED or ASK is sent once more at the named node (if the
//   cluster announces it); while a slot has no reachable master publishes are dropped and
//   counted, as on one Redis.
// - stats.subscriber_up is 1 while every master of the current map has its subscription
//   connection up; stats.publisher_up is 1 once a slot map is loaded.
BusPtr makeClusterBus(boost::asio::any_io_executor ex, RedisOptions opts);

}  // namespace parley::redis
