#include "service/sealed_bus.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/memory/inproc_bus.h"
#include "core/metrics.h"
#include "crypto/sealer.h"
#include "ports/bus_contract.h"

namespace parley {
namespace {

using bus_contract::BusContract;

const std::string kKey(crypto::kKeyBytes, 'k');

bus_contract::BusUnderTest sealedInproc(boost::asio::any_io_executor ex) {
  return {std::make_unique<SealedBus>(memory::makeInprocBus(std::move(ex)), kKey)};
}

// The Bus contract holds through the seal: order, topics, binary payloads, concurrency.
INSTANTIATE_TEST_SUITE_P(SealedInproc, BusContract, ::testing::Values(sealedInproc));

// A bus server as an attacker holding it sees it: every payload that crosses it, and the
// power to deliver a payload of its own choosing on any topic. Delivers inline.
class ServerBus final : public Bus {
 public:
  void setHandler(Handler h, std::function<void()>) override { handler_ = std::move(h); }
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  void publish(const std::string& topic, Payload p) override {
    seen.emplace_back(topic, *p);
    handler_(topic, std::move(p));
  }
  void inject(const std::string& topic, std::string bytes) {
    handler_(topic, std::make_shared<const std::string>(std::move(bytes)));
  }
  std::vector<std::pair<std::string, std::string>> seen;

 private:
  Handler handler_;
};

struct Node {
  ServerBus* server;
  std::unique_ptr<SealedBus> bus;
  std::vector<std::pair<std::string, std::string>> got;

  explicit Node(std::string key = kKey) {
    auto inner = std::make_unique<ServerBus>();
    server = inner.get();
    bus = std::make_unique<SealedBus>(std::move(inner), std::move(key));
    bus->setHandler([this](const std::string& t, Bus::Payload p) { got.emplace_back(t, *p); },
                    [] {});
  }
};

Bus::Payload payload(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

TEST(SealedBus, WhatCrossesTheServerIsSealedAndOpensForTheNodes) {
  Node node;
  const std::string frame = R"({"type":"event","room":7,"text":"the secret plan"})";
  node.bus->publish("room:7", payload(frame));
  ASSERT_EQ(node.server->seen.size(), 1u);
  EXPECT_EQ(node.server->seen[0].second.find("secret"), std::string::npos);
  EXPECT_EQ(node.server->seen[0].second.size(), frame.size() + crypto::kSealOverhead);
  ASSERT_EQ(node.got.size(), 1u);
  EXPECT_EQ(node.got[0], std::make_pair(std::string("room:7"), frame));
}

TEST(SealedBus, ForgedMovedAndAlteredPayloadsAreDroppedAndCounted) {
  Node node;
  node.bus->publish("room:1", payload("genuine"));
  const std::string sealed = node.server->seen[0].second;
  const auto before = metrics().bus_rejected.value();

  node.server->inject("room:1", R"({"type":"event","room":1,"text":"forged"})");  // plaintext
  node.server->inject("room:2", sealed);                                          // moved topic
  std::string flipped = sealed;
  flipped[flipped.size() / 2] ^= 1;
  node.server->inject("room:1", flipped);                                      // altered
  node.server->inject("room:1", sealed.substr(0, crypto::kSealOverhead - 1));  // truncated
  node.server->inject("room:1", "");                                           // empty
  Node other(std::string(crypto::kKeyBytes, 'x'));  // another deployment's key
  other.bus->publish("room:1", payload("from elsewhere"));
  node.server->inject("room:1", other.server->seen[0].second);

  EXPECT_EQ(node.got.size(), 1u);  // only the genuine publish
  EXPECT_EQ(metrics().bus_rejected.value() - before, 6u);
}

TEST(SealedBus, EveryPublishHasItsOwnNonce) {
  Node node;
  node.bus->publish("room:1", payload("same"));
  node.bus->publish("room:1", payload("same"));
  EXPECT_NE(node.server->seen[0].second, node.server->seen[1].second);
}

TEST(SealedBus, RefusesAKeyOfTheWrongSize) {
  EXPECT_THROW(SealedBus(std::make_unique<ServerBus>(), "short"), std::invalid_argument);
}

}  // namespace
}  // namespace parley
