// Where a keyed command goes: one Redis (every command to its one connection) or a Redis
// Cluster (each command to the master owning its key's slot, following MOVED and ASK).
// The Cache adapter and the scripts speak only to this, so they run on either unchanged.
//
// Thread-safety: `request`/`requestAll` may be awaited from any executor, concurrently.
// Owned through shared_ptr; `stop` (idempotent) fails what is in flight and stops
// reconnecting.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/connection.h"

namespace parley::redis {

class Commands {
 public:
  virtual ~Commands() = default;

  // `on_up` runs (on some connection's strand) each time a connection comes up, after its
  // handshake was queued; it must not own this object. Called once, before any request.
  virtual void start(std::function<void()> on_up) = 0;
  virtual void stop() = 0;

  // One command about `key` (the key picks the node), one reply (Redis errors included).
  virtual boost::asio::awaitable<Result<Reply>> request(std::string key, Args args) = 0;
  // batch[i] is about keys[i]; pipelined per node. Every reply in order, or an error if
  // any reply could not be obtained.
  virtual boost::asio::awaitable<Result<std::vector<Reply>>> requestAll(
      std::vector<std::string> keys, std::vector<Args> batch) = 0;
};

using CommandsPtr = std::shared_ptr<Commands>;

// For a redis:// URL: one connection named `name`. For redis+cluster://: a cluster client.
// Throws ErrorException (bad_request) for a malformed URL.
CommandsPtr makeCommands(boost::asio::any_io_executor ex, const RedisOptions& opts,
                         std::string name);

}  // namespace parley::redis
