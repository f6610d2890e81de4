// What the Kafka adapter tests share: the test broker (PARLEY_TEST_KAFKA_URL, started by
// scripts/test.sh through scripts/services.sh and scripts/services/kafka.sh), a unique topic
// per test so tests sharing the broker stay apart, and a raw producer to write records as
// anyone with write access to the topic could.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "adapters/kafka/kafka_options.h"

namespace parley::kafka::test {

// Empty, after failing the current test, when the variable is unset: these tests must run,
// not skip, so a CI run without Kafka is red.
inline std::string kafkaUrl() {
  const char* url = std::getenv("PARLEY_TEST_KAFKA_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "PARLEY_TEST_KAFKA_URL is not set. Run the Kafka tests through "
                     "scripts/test.sh, or start Kafka with: eval \"$(scripts/services.sh start)\"";
    return {};
  }
  return url;
}

inline std::string uniqueTopic() {
  static std::atomic<int> counter{0};
  return "parley.test." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// Options for one bus on the test broker: a fresh topic of `partitions` and fresh stats.
inline KafkaOptions testOptions(const std::string& topic = uniqueTopic(), int partitions = 3) {
  auto o =
      parseKafkaUrl(kafkaUrl() + "?topic=" + topic + "&partitions=" + std::to_string(partitions));
  EXPECT_TRUE(o) << (o ? "" : o.error().message);
  if (!o) return {};
  o->stats = std::make_shared<KafkaStats>();
  return *o;
}

// Polls `cond` until it holds or 30 s passed.
inline bool eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition
  }
  return cond();
}

// Writes records straight to a topic, bypassing Parley: what an attacker with write access
// to the topic (or a misbehaving client) can do.
class RawProducer {
 public:
  explicit RawProducer(const KafkaOptions& o) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", o.brokers.front().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "message.max.bytes", "4000000", err, sizeof err);
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
      static_cast<RawProducer*>(self)->last_ = m->err;
    });
    h_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    EXPECT_NE(h_, nullptr) << err;
  }
  ~RawProducer() {
    rd_kafka_flush(h_, 10'000);
    rd_kafka_destroy(h_);
  }
  // Waits for the broker's answer; returns its error code.
  rd_kafka_resp_err_t write(const std::string& topic, const std::string& key,
                            const std::string& value, std::int64_t timestamp_ms = 0) {
    last_ = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        h_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
        RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return e;
    if (rd_kafka_flush(h_, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return RD_KAFKA_RESP_ERR__TIMED_OUT;
    return last_;
  }

 private:
  rd_kafka_t* h_ = nullptr;
  rd_kafka_resp_err_t last_ = RD_KAFKA_RESP_ERR_NO_ERROR;
};

}  // namespace parley::kafka::test
