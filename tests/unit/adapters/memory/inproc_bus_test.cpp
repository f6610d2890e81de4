#include "adapters/memory/inproc_bus.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ports/bus_contract.h"

namespace parley::memory {
namespace {

using bus_contract::BusContract;

bus_contract::BusUnderTest makeFreshBus(boost::asio::any_io_executor ex) {
  return {makeInprocBus(std::move(ex))};
}

INSTANTIATE_TEST_SUITE_P(Inproc, BusContract, ::testing::Values(makeFreshBus));

// Beyond the contract: single-threaded, so exact about when and what is delivered.

Bus::Payload payload(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// Records deliveries; safe to call from any thread.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> got;
  int resubscribed = 0;

  void attach(Bus& bus) {
    bus.setHandler(
        [this](const std::string& topic, Bus::Payload p) {
          std::lock_guard lock(mu);
          got.emplace_back(topic, *p);
        },
        [this] { ++resubscribed; });
  }
};

using Got = std::vector<std::pair<std::string, std::string>>;

TEST(InprocBus, DeliversOnlySubscribedTopicsInOrderAndNeverInsidePublish) {
  boost::asio::io_context ioc;
  BusPtr bus = makeInprocBus(ioc.get_executor());
  Recorder rec;
  rec.attach(*bus);
  bus->subscribe("room:1");
  bus->subscribe("room:3");

  bus->publish("room:1", payload("a"));
  bus->publish("room:2", payload("not subscribed"));
  bus->publish("room:3", payload("b"));
  bus->publish("room:1", payload("c"));
  EXPECT_TRUE(rec.got.empty());  // delivery is posted, never done by publish

  ioc.run();
  EXPECT_EQ(rec.got, (Got{{"room:1", "a"}, {"room:3", "b"}, {"room:1", "c"}}));
  EXPECT_EQ(rec.resubscribed, 0);
}

TEST(InprocBus, PublishWithoutHandlerIsDropped) {
  boost::asio::io_context ioc;
  BusPtr bus = makeInprocBus(ioc.get_executor());
  bus->subscribe("t");
  bus->publish("t", payload("x"));
  EXPECT_EQ(ioc.run(), 0u);
}

TEST(InprocBus, QueuedDeliveriesSurviveTheBus) {
  boost::asio::io_context ioc;
  Recorder rec;
  {
    BusPtr bus = makeInprocBus(ioc.get_executor());
    rec.attach(*bus);
    bus->subscribe("t");
    bus->publish("t", payload("x"));
  }
  ioc.run();
  EXPECT_EQ(rec.got, (Got{{"t", "x"}}));
}

// Several publishers, a subscriber churning another topic, and the executor run by several
// threads at once: every payload arrives once, each publisher's order holds, and (in
// process, unlike over a network) a publish made while subscribed is never missed.
TEST(InprocBus, ConcurrentPublishersKeepPerTopicOrder) {
  constexpr int kPublishers = 4;
  constexpr int kEach = 500;
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::vector<std::thread> runners;
  for (int i = 0; i < 3; ++i) runners.emplace_back([&] { ioc.run(); });

  BusPtr bus = makeInprocBus(ioc.get_executor());
  Recorder rec;
  rec.attach(*bus);
  for (int p = 0; p < kPublishers; ++p) bus->subscribe("t" + std::to_string(p));

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      const std::string topic = "t" + std::to_string(p);
      for (int i = 0; i < kEach; ++i) bus->publish(topic, payload(std::to_string(i)));
    });
  }
  publishers.emplace_back([&] {
    for (int i = 0; i < kEach; ++i) {
      bus->subscribe("churn");
      bus->publish("churn", payload("c"));
      bus->unsubscribe("churn");
    }
  });
  for (auto& t : publishers) t.join();
  work.reset();
  for (auto& t : runners) t.join();

  std::map<std::string, std::vector<int>> by_topic;
  int churned = 0;
  for (const auto& [topic, body] : rec.got) {
    if (topic == "churn") {
      ++churned;  // each was published while subscribed
    } else {
      by_topic[topic].push_back(std::stoi(body));
    }
  }
  EXPECT_EQ(churned, kEach);
  ASSERT_EQ(by_topic.size(), static_cast<std::size_t>(kPublishers));
  std::vector<int> expected(kEach);
  for (int i = 0; i < kEach; ++i) expected[i] = i;
  for (const auto& [topic, seqs] : by_topic) EXPECT_EQ(seqs, expected) << topic;
}

}  // namespace
}  // namespace parley::memory
