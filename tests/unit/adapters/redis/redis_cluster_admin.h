// Slot moves on the test Redis Cluster, made as `redis-cli --cluster reshard` makes them:
// CLUSTER SETSLOT IMPORTING / MIGRATING, MIGRATE of the slot's keys, SETSLOT NODE on every
// master. Slots stay where a test left them; tests look the owners up first.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/cluster_client.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/redis_test_env.h"

namespace parley::redis::test {

// Direct commands to each node of the test cluster, on the RedisEnv's thread.
class ClusterAdmin {
 public:
  explicit ClusterAdmin(test::RedisEnv& env) {
    auto seeds = parseClusterUrl(test::clusterUrl());
    EXPECT_TRUE(seeds);
    if (!seeds) return;
    client_ = std::make_shared<ClusterClient>(env.executor(), *seeds, RedisOptions{}, "admin");
    client_->start({});
    EXPECT_TRUE(test::await(client_->refresh()));
  }
  ~ClusterAdmin() {
    if (client_) client_->stop();
  }

  Reply at(const std::string& node, Args args) {
    auto got = test::await(client_->connection(node)->request(std::move(args)));
    EXPECT_TRUE(got) << (got ? "" : got.error().message);
    if (!got) return {};
    EXPECT_FALSE(got->isError()) << got->str;
    return std::move(*got);
  }
  std::string id(const std::string& node) { return at(node, {"CLUSTER", "MYID"}).str; }
  std::vector<std::string> masters() { return client_->slotMap()->masters; }
  std::string owner(std::uint16_t slot) {
    auto map = client_->slotMap();
    return map->owner[slot] < 0 ? "" : map->masters[map->owner[slot]];
  }
  std::string otherMaster(const std::string& than) {
    for (const auto& m : masters()) {
      if (m != than) return m;
    }
    return {};
  }

  // First half of a move: `to` imports, the owner migrates, the slot's keys move over.
  void beginMove(std::uint16_t slot, const std::string& to) {
    from_ = owner(slot);
    ASSERT_FALSE(from_.empty());
    ASSERT_NE(from_, to);
    const std::string s = std::to_string(slot);
    at(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", id(from_)});
    at(from_, {"CLUSTER", "SETSLOT", s, "MIGRATING", id(to)});
    auto ep = endpointOf(to);
    for (;;) {
      Reply keys = at(from_, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
      if (keys.elements.empty()) break;
      Args migrate = {"MIGRATE", ep->host, ep->port, "", "0", "5000", "KEYS"};
      for (auto& k : keys.elements) migrate.push_back(k.str);
      at(from_, std::move(migrate));
    }
  }
  // Second half: every master learns the new owner (the target first, as redis-cli does).
  void finishMove(std::uint16_t slot, const std::string& to) {
    const std::string s = std::to_string(slot);
    const std::string to_id = id(to);
    at(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
    at(from_, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
    for (const auto& m : masters()) {
      if (m != to && m != from_) at(m, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
    }
    ASSERT_TRUE(test::eventually([&] {
      auto loaded = test::await(client_->refresh());
      return loaded && owner(slot) == to;
    }));
  }

 private:
  std::shared_ptr<ClusterClient> client_;
  std::string from_;
};

}  // namespace parley::redis::test
