// A Redis Cluster client: the slot map (CLUSTER SLOTS), one pipelined Connection per node,
// each keyed command sent to the master owning its key's slot.
//
// - MOVED: the command is retried at the named node and the slot map is reloaded. ASK: the
//   command is retried once at the named node, preceded by ASKING. At most 5 hops.
// - A redirection is followed only to a node the cluster announced in its latest slot map
//   (masters and replicas) or to a seed. Otherwise the map is reloaded once and, if the
//   node is still unknown, the command fails (stats.redirects_refused): a node that lies,
//   or a forged reply, must not send the adapters' keys and credentials elsewhere.
// - A command that fails because its node is unreachable reloads the map once; if another
//   master owns the slot by then (a replica was promoted) it is retried there, else it
//   fails (Code::unavailable) and the caller applies its policy.
// - The map is reloaded at most every 100 ms however many commands ask for it; at most 256
//   node connections are kept.
// Thread-safety: everything may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/commands.h"

namespace parley::redis {

// Who serves which slot, as one CLUSTER SLOTS answer said. Addresses are "host:port"
// ("[v6]:port" for IPv6).
struct SlotMap {
  SlotMap() { owner.fill(-1); }
  std::vector<std::string> masters;                 // index = owner value
  std::array<std::int16_t, kClusterSlots> owner{};  // -1: no master serves the slot
  std::set<std::string> announced;                  // masters and replicas
  std::uint64_t version = 0;                        // bumped per load
};

// Parses a CLUSTER SLOTS reply; `asked_host` stands in for a node that announces no IP.
std::optional<SlotMap> parseClusterSlots(const Reply& reply, const std::string& asked_host);
// "host:port" of an endpoint, and back.
std::string addressOf(const std::string& host, const std::string& port);
std::optional<Endpoint> endpointOf(const std::string& address);

class ClusterClient final : public Commands, public std::enable_shared_from_this<ClusterClient> {
 public:
  ClusterClient(boost::asio::any_io_executor ex, std::vector<Endpoint> seeds,
                const RedisOptions& opts, std::string name);
  ~ClusterClient() override;

  void start(std::function<void()> on_up) override;
  void stop() override;
  boost::asio::awaitable<Result<Reply>> request(std::string key, Args args) override;
  boost::asio::awaitable<Result<std::vector<Reply>>> requestAll(std::vector<std::string> keys,
                                                                std::vector<Args> batch) override;

  // Reloads the slot map from the first node that answers (known masters, then seeds).
  // False when none did. Calls within 100 ms of the previous load return at once.
  boost::asio::awaitable<bool> refresh();
  // The current map (never null; empty before the first load).
  std::shared_ptr<const SlotMap> slotMap() const;
  // The master owning `key`'s slot, "" when unknown.
  std::string ownerOf(std::string_view key) const;
  // The connection to `address` (created and started on first use); null when stopped or
  // over the cap.
  std::shared_ptr<Connection> connection(const std::string& address);
  // A seed, or a node of the latest map.
  bool announced(const std::string& address) const;
  // Connection settings for a node (the seeds' credentials).
  Endpoint endpointFor(const std::string& address) const;
  const RedisOptions& options() const { return opts_; }

 private:
  boost::asio::awaitable<Result<Reply>> once(const std::string& address, const Args& args,
                                             bool asking);
  boost::asio::awaitable<bool> followable(const std::string& address);

  boost::asio::any_io_executor ex_;
  const std::vector<Endpoint> seeds_;
  const RedisOptions opts_;
  const std::string name_;
  std::shared_ptr<RedisStats> stats_;

  mutable std::mutex mu_;
  std::shared_ptr<const SlotMap> map_;                        // guarded by mu_
  std::map<std::string, std::shared_ptr<Connection>> conns_;  // guarded by mu_
  std::function<void()> on_up_;                               // guarded by mu_
  std::chrono::steady_clock::time_point last_load_{};         // guarded by mu_
  bool stopped_ = false;                                      // guarded by mu_
  bool unavailable_logged_ = false;  // guarded by mu_: one log line per outage, not per try
};

}  // namespace parley::redis
