#include "adapters/kafka/kafka_bus.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_test_env.h"
#include "core/metrics.h"
#include "crypto/sealer.h"
#include "ports/bus_contract.h"
#include "service/sealed_bus.h"

namespace parley::kafka {
namespace {

using bus_contract::BusContract;
using bus_contract::BusUnderTest;
using bus_contract::Recorder;
using test::eventually;

BusUnderTest makeBus(boost::asio::any_io_executor ex, KafkaOptions opts) {
  auto stats = opts.stats;
  auto bus = makeKafkaBus(std::move(ex), std::move(opts));
  EXPECT_TRUE(bus) << (bus ? "" : bus.error().message);
  if (!bus) return {};
  BusUnderTest b{std::move(*bus)};
  b.settle = [stats] {
    EXPECT_TRUE(eventually([&] { return stats->assigned.load() == 1; }))
        << "the Kafka bus never read its partitions";
  };
  return b;
}

BusUnderTest makeFreshBus(boost::asio::any_io_executor ex) {
  return makeBus(std::move(ex), test::testOptions());
}

// The same contract the in-process and Redis buses pass, on a real broker, over 3 partitions.
INSTANTIATE_TEST_SUITE_P(Kafka, BusContract, ::testing::Values(makeFreshBus));

const std::string kKey(crypto::kKeyBytes, 'k');

BusUnderTest makeSealedBus(boost::asio::any_io_executor ex) {
  BusUnderTest b = makeFreshBus(std::move(ex));
  b.bus = std::make_unique<SealedBus>(std::move(b.bus), kKey);
  return b;
}

// Sealing wraps whichever bus carries the events.
INSTANTIATE_TEST_SUITE_P(SealedKafka, BusContract, ::testing::Values(makeSealedBus));

class KafkaBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) runners_.emplace_back([this] { ioc_.run(); });
  }
  void TearDown() override {
    buses_.clear();
    work_.reset();
    for (auto& t : runners_) t.join();
    for (const auto& f : files_) std::filesystem::remove(f);
  }

  Bus& newBus(KafkaOptions opts, Recorder** rec, bool sealed = false) {
    buses_.push_back(makeBus(ioc_.get_executor(), std::move(opts)));
    if (sealed) buses_.back().bus = std::make_unique<SealedBus>(std::move(buses_.back().bus), kKey);
    recorders_.emplace_back();
    recorders_.back().attach(*buses_.back().bus);
    *rec = &recorders_.back();
    return *buses_.back().bus;
  }
  void settle() {
    for (auto& b : buses_) b.settle();
  }
  std::string tempFile() {
    files_.push_back(std::filesystem::temp_directory_path() /
                     ("parley-kafka-offsets-" + test::uniqueTopic()));
    return files_.back();
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::vector<std::thread> runners_;
  std::deque<Recorder> recorders_;
  std::vector<BusUnderTest> buses_;
  std::vector<std::string> files_;
};

TEST_F(KafkaBusTest, TwoNodesOnOneTopicDeliverToEachOther) {
  const std::string topic = test::uniqueTopic();
  Recorder* a_rec = nullptr;
  Recorder* b_rec = nullptr;
  Bus& a = newBus(test::testOptions(topic), &a_rec);
  Bus& b = newBus(test::testOptions(topic), &b_rec);
  a.subscribe("room:1");
  b.subscribe("room:1");
  b.subscribe("room:2");
  settle();
  bus_contract::publish(a, "room:1", "from a");
  bus_contract::publish(b, "room:1", "from b");
  bus_contract::publish(a, "room:2", "only b");
  ASSERT_TRUE(a_rec->waitForBody("room:1", "from b"));
  ASSERT_TRUE(b_rec->waitForBody("room:2", "only b"));
  ASSERT_TRUE(b_rec->waitForBody("room:1", "from b"));
  EXPECT_TRUE(a_rec->bodies("room:2").empty());
}

// A node that stops and starts again reads on from the offsets it processed: what was
// published while it was away arrives, and it is not told to backfill from the Store.
TEST_F(KafkaBusTest, ARestartedNodeReadsOnFromItsStoredOffsets) {
  const std::string topic = test::uniqueTopic();
  const std::string file = tempFile();
  KafkaOptions first = test::testOptions(topic);
  first.offsets_file = file;
  Recorder* rec = nullptr;
  Recorder* other_rec = nullptr;
  Bus& other = newBus(test::testOptions(topic), &other_rec);
  Bus& node = newBus(first, &rec);
  node.subscribe("room:1");
  settle();
  bus_contract::publish(other, "room:1", "before");
  ASSERT_TRUE(rec->waitForBody("room:1", "before"));
  buses_.pop_back();  // the node stops (its offsets are saved)

  for (int i = 0; i < 5; ++i) bus_contract::publish(other, "room:1", "away " + std::to_string(i));
  KafkaOptions again = test::testOptions(topic);
  again.offsets_file = file;
  auto stats = again.stats;
  Recorder* rec2 = nullptr;
  Bus& node2 = newBus(again, &rec2);
  node2.subscribe("room:1");
  ASSERT_TRUE(rec2->waitForBody("room:1", "away 4"));
  EXPECT_EQ(rec2->bodies("room:1"),
            (std::vector<std::string>{"away 0", "away 1", "away 2", "away 3", "away 4"}));
  EXPECT_EQ(stats->resumed_partitions.load(), 3);
  EXPECT_EQ(rec2->resubscribed(), 0);
  EXPECT_EQ(stats->offset_resets.load(), 0u);
}

// What was made long before the node started is read (its offsets move on) but not handed
// to the node: its clients got their state from the Store when they connected, and an old
// typing or presence frame would mislead them.
TEST_F(KafkaBusTest, RecordsMadeLongBeforeTheStartAreReadButNotDelivered) {
  const std::string topic = test::uniqueTopic();
  const std::string file = tempFile();
  KafkaOptions first = test::testOptions(topic, 1);
  first.offsets_file = file;
  Recorder* rec = nullptr;
  newBus(first, &rec);
  settle();
  buses_.pop_back();  // stops; its offsets are saved

  test::RawProducer writer(first);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ASSERT_EQ(writer.write(topic, "room:1", "a minute old", now - 60'000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(writer.write(topic, "room:1", "just now", now), RD_KAFKA_RESP_ERR_NO_ERROR);
  KafkaOptions again = test::testOptions(topic, 1);
  again.offsets_file = file;
  auto stats = again.stats;
  Recorder* rec2 = nullptr;
  Bus& node = newBus(again, &rec2);
  node.subscribe("room:1");
  ASSERT_TRUE(rec2->waitForBody("room:1", "just now"));
  EXPECT_EQ(rec2->bodies("room:1"), (std::vector<std::string>{"just now"}));
  EXPECT_EQ(stats->before_start.load(), 1u);
  EXPECT_EQ(stats->consumed.load(), 2u);
}

// Stored offsets that the topic no longer holds (retention, a topic made anew): the node
// reads on from the end and backfills from the Store, once per partition it lost.
TEST_F(KafkaBusTest, OffsetsThatAreGoneFallBackToAStoreBackfill) {
  const std::string topic = test::uniqueTopic();
  const std::string file = tempFile();
  {
    FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "parley-kafka-offsets 1 %s\n0 1000000\n", topic.c_str());
    std::fclose(f);
  }
  KafkaOptions opts = test::testOptions(topic);
  opts.offsets_file = file;
  auto stats = opts.stats;
  Recorder* rec = nullptr;
  Bus& bus = newBus(opts, &rec);
  bus.subscribe("room:1");
  ASSERT_TRUE(rec->waitForResubscribed(1));
  EXPECT_EQ(stats->offset_resets.load(), 1u);
  // Every partition reads live again.
  for (int i = 0; i < 20; ++i) bus_contract::publish(bus, "room:1", std::to_string(i));
  ASSERT_TRUE(rec->waitForBody("room:1", "19"));
}

// A record on the topic that Parley did not write: a forged payload does not open under the
// bus key and is dropped and counted, a record without a key or over the cap is skipped and
// counted, and the genuine events around them arrive.
TEST_F(KafkaBusTest, ForgedKeylessAndOversizeRecordsAreRefusedAndCounted) {
  KafkaOptions opts = test::testOptions();
  opts.max_record_bytes = 64 * 1024;
  const std::string topic = opts.topic;
  auto stats = opts.stats;
  Recorder* rec = nullptr;
  Bus& bus = newBus(opts, &rec, /*sealed=*/true);
  bus.subscribe("room:1");
  settle();
  const auto rejected_before = metrics().bus_rejected.value();
  test::RawProducer attacker(opts);
  bus_contract::publish(bus, "room:1", "genuine 1");
  ASSERT_TRUE(rec->waitForBody("room:1", "genuine 1"));
  EXPECT_EQ(attacker.write(topic, "room:1", R"({"type":"event","forged":true})"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(attacker.write(topic, "", "no key"), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(attacker.write(topic, "room:1", std::string(70 * 1024, 'x')),
            RD_KAFKA_RESP_ERR_NO_ERROR);  // under the broker's cap, over this node's
  // Far over the cap the topic was made with: the broker itself refuses it.
  EXPECT_EQ(attacker.write(topic, "room:1", std::string(3 << 20, 'x')),
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  bus_contract::publish(bus, "room:1", std::string(65 * 1024, 'y'));  // over the cap: dropped
  bus_contract::publish(bus, "room:1", "genuine 2");
  ASSERT_TRUE(rec->waitForBody("room:1", "genuine 2"));
  EXPECT_EQ(rec->bodies("room:1"), (std::vector<std::string>{"genuine 1", "genuine 2"}));
  EXPECT_EQ(metrics().bus_rejected.value() - rejected_before, 1u);
  EXPECT_EQ(stats->malformed.load(), 2u);
  EXPECT_EQ(stats->publish_dropped.load(), 1u);
}

TEST_F(KafkaBusTest, ABadClientOptionIsAnErrorNotACrash) {
  auto opts = parseKafkaUrl(
      "kafka://127.0.0.1:1?security.protocol=ssl&ssl.ca.location=/nonexistent/ca.pem");
  ASSERT_TRUE(opts);
  auto bus = makeKafkaBus(ioc_.get_executor(), std::move(*opts));
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.error().code, Code::bad_request);
}

}  // namespace
}  // namespace parley::kafka
