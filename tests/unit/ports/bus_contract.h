// The behaviour every Bus adapter must show (src/ports/bus.h), as one value-parameterised
// suite. An adapter's test instantiates it with a factory that builds a fresh bus on the
// executor it is given (run by two threads) and says how to wait until the bus's
// subscriptions so far are in effect:
//
//   INSTANTIATE_TEST_SUITE_P(Inproc, BusContract, ::testing::Values(makeFreshBus));
//
// Delivery is best-effort across a subscribe (a publish racing it may be missed), so the
// tests settle before publishing. Absence is shown by a later sentinel: both adapters under
// test deliver one publisher's payloads in publish order.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ports/bus.h"

namespace parley::bus_contract {

struct BusUnderTest {
  BusPtr bus;
  // Returns once every subscribe/unsubscribe made so far is in effect (fails the test if
  // that takes unreasonably long).
  std::function<void()> settle = [] {};
};
using BusFactory = std::function<BusUnderTest(boost::asio::any_io_executor)>;

inline Bus::Payload payload(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

using Got = std::vector<std::pair<std::string, std::string>>;

// Set around publish calls: a handler that finds it set was called inside publish.
inline thread_local bool t_inside_publish = false;

inline void publish(Bus& bus, const std::string& topic, std::string body) {
  t_inside_publish = true;
  bus.publish(topic, payload(std::move(body)));
  t_inside_publish = false;
}

// Records deliveries; safe to call from any thread. Waits are bounded by a deadline.
class Recorder {
 public:
  void attach(Bus& bus) {
    bus.setHandler(
        [this](const std::string& topic, Bus::Payload p) {
          EXPECT_FALSE(t_inside_publish) << "delivered inside publish";
          std::lock_guard lock(mu_);
          got_.emplace_back(topic, *p);
          cv_.notify_all();
        },
        [this] {
          std::lock_guard lock(mu_);
          ++resubscribed_;
          cv_.notify_all();
        });
  }

  // True when `done(got)` held before the deadline.
  bool waitFor(const std::function<bool(const Got&)>& done,
               std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return done(got_); });
  }
  bool waitForBody(const std::string& topic, const std::string& body) {
    return waitFor([&](const Got& got) {
      for (const auto& [t, b] : got) {
        if (t == topic && b == body) return true;
      }
      return false;
    });
  }
  bool waitForCount(std::size_t n) {
    return waitFor([n](const Got& got) { return got.size() >= n; });
  }
  bool waitForResubscribed(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return resubscribed_ >= n; });
  }

  Got got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  // The bodies delivered for one topic, in delivery order.
  std::vector<std::string> bodies(const std::string& topic) {
    std::vector<std::string> out;
    for (const auto& [t, b] : got()) {
      if (t == topic) out.push_back(b);
    }
    return out;
  }
  int resubscribed() {
    std::lock_guard lock(mu_);
    return resubscribed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Got got_;               // guarded by mu_
  int resubscribed_ = 0;  // guarded by mu_
};

class BusContract : public ::testing::TestWithParam<BusFactory> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) runners_.emplace_back([this] { ioc_.run(); });
  }

  // Buses go first, then the executor drains, and only then do the recorders (which queued
  // deliveries point at) go.
  void TearDown() override {
    buses_.clear();
    work_.reset();
    for (auto& t : runners_) t.join();
  }

  // A new bus with its own recorder attached.
  Bus& newBus(Recorder** rec = nullptr) {
    buses_.push_back(GetParam()(ioc_.get_executor()));
    EXPECT_TRUE(buses_.back().bus) << "the factory made no bus";
    recorders_.emplace_back();
    recorders_.back().attach(*buses_.back().bus);
    if (rec != nullptr) *rec = &recorders_.back();
    return *buses_.back().bus;
  }
  void settle() {
    for (auto& b : buses_) b.settle();
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::vector<std::thread> runners_;
  std::deque<Recorder> recorders_;
  std::vector<BusUnderTest> buses_;
};

TEST_P(BusContract, DeliversOnlySubscribedTopicsInPublishOrder) {
  Recorder* rec = nullptr;
  Bus& bus = newBus(&rec);
  if (HasFatalFailure()) return;
  bus.subscribe("room:1");
  bus.subscribe("room:3");
  settle();

  publish(bus, "room:1", "a");
  publish(bus, "room:2", "not subscribed");
  publish(bus, "room:3", "b");
  publish(bus, "room:1", "c");
  publish(bus, "room:1", "end");
  ASSERT_TRUE(rec->waitForBody("room:1", "end"));
  ASSERT_TRUE(rec->waitForBody("room:3", "b"));
  EXPECT_EQ(rec->bodies("room:1"), (std::vector<std::string>{"a", "c", "end"}));
  EXPECT_EQ(rec->bodies("room:3"), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(rec->bodies("room:2").empty());
}

TEST_P(BusContract, NothingAfterUnsubscribe) {
  Recorder* rec = nullptr;
  Bus& bus = newBus(&rec);
  if (HasFatalFailure()) return;
  bus.subscribe("t");
  settle();
  publish(bus, "t", "1");
  ASSERT_TRUE(rec->waitForBody("t", "1"));

  bus.unsubscribe("t");
  // Publish is asynchronous: "2" has been read once a probe published after it has. Order
  // holds per partition only (Kafka spreads topics over partitions by a hash), so a probe
  // goes out on each of many topics: one of them shares t's partition, whichever it is.
  constexpr int kProbes = 32;
  for (int i = 0; i < kProbes; ++i) bus.subscribe("probe" + std::to_string(i));
  settle();
  publish(bus, "t", "2");
  for (int i = 0; i < kProbes; ++i) publish(bus, "probe" + std::to_string(i), "after 2");
  for (int i = 0; i < kProbes; ++i) {
    ASSERT_TRUE(rec->waitForBody("probe" + std::to_string(i), "after 2"));
  }
  bus.subscribe("t");
  settle();
  publish(bus, "t", "3");
  ASSERT_TRUE(rec->waitForBody("t", "3"));
  EXPECT_EQ(rec->bodies("t"), (std::vector<std::string>{"1", "3"}));
}

TEST_P(BusContract, RepeatedSubscribeDeliversOnceAndUnknownUnsubscribeIsHarmless) {
  Recorder* rec = nullptr;
  Bus& bus = newBus(&rec);
  if (HasFatalFailure()) return;
  bus.subscribe("t");
  bus.subscribe("t");
  bus.unsubscribe("never-subscribed");
  settle();
  publish(bus, "t", "1");
  publish(bus, "t", "2");
  ASSERT_TRUE(rec->waitForBody("t", "2"));
  EXPECT_EQ(rec->got(), (Got{{"t", "1"}, {"t", "2"}}));
}

TEST_P(BusContract, PayloadsAreBinarySafe) {
  Recorder* rec = nullptr;
  Bus& bus = newBus(&rec);
  if (HasFatalFailure()) return;
  bus.subscribe("t");
  settle();
  static constexpr char kBinary[] = "\0\r\n$3\r\nxyz\xff\x80";
  const std::string binary(kBinary, sizeof kBinary - 1);
  const std::string big(256 * 1024, 'x');
  publish(bus, "t", binary);
  publish(bus, "t", "");
  publish(bus, "t", big);
  ASSERT_TRUE(rec->waitForCount(3));
  EXPECT_EQ(rec->got(), (Got{{"t", binary}, {"t", ""}, {"t", big}}));
}

// Several publishing threads: every payload arrives once, and each publisher's order holds.
TEST_P(BusContract, ConcurrentPublishersKeepPerTopicOrder) {
  constexpr int kPublishers = 4;
  constexpr int kEach = 300;
  Recorder* rec = nullptr;
  Bus& bus = newBus(&rec);
  if (HasFatalFailure()) return;
  for (int p = 0; p < kPublishers; ++p) bus.subscribe("t" + std::to_string(p));
  settle();

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      const std::string topic = "t" + std::to_string(p);
      for (int i = 0; i < kEach; ++i) publish(bus, topic, std::to_string(i));
    });
  }
  for (auto& t : publishers) t.join();
  ASSERT_TRUE(rec->waitForCount(kPublishers * kEach)) << rec->got().size();

  std::map<std::string, std::vector<int>> by_topic;
  for (const auto& [topic, body] : rec->got()) by_topic[topic].push_back(std::stoi(body));
  ASSERT_EQ(by_topic.size(), static_cast<std::size_t>(kPublishers));
  std::vector<int> expected(kEach);
  for (int i = 0; i < kEach; ++i) expected[i] = i;
  for (const auto& [topic, seqs] : by_topic) EXPECT_EQ(seqs, expected) << topic;
}

}  // namespace parley::bus_contract
