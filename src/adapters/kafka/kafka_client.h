// librdkafka handles for the Kafka Bus: their configuration and the few cluster queries the
// bus makes (the topic, its partitions, their end offsets). Blocking calls, bounded by their
// timeouts: the bus makes them on its poller thread only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_options.h"

namespace parley::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* h) const { rd_kafka_destroy(h); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// The idempotent producer. Delivery failures are counted in `stats` (which must outlive the
// handle). Fails (bad_request) when librdkafka refuses a property, e.g. SASL or TLS options
// this build of librdkafka does not support.
Result<Handle> makeProducer(const KafkaOptions& opts, KafkaStats* stats);
// The reader: partitions are assigned by hand (no group membership, no commits), and an
// offset that is gone is reported, not silently moved (auto.offset.reset=error).
Result<Handle> makeConsumer(const KafkaOptions& opts);

// Creates the topic with opts.partitions partitions and a broker-side record cap just above
// opts.max_record_bytes; a topic that exists already is left as it is.
Status ensureTopic(rd_kafka_t* h, const KafkaOptions& opts, int timeout_ms);
// The topic's partition count.
Result<int> partitionCount(rd_kafka_t* h, const std::string& topic, int timeout_ms);
// The offset the next record of the partition will get.
Result<std::int64_t> endOffset(rd_kafka_t* h, const std::string& topic, int partition,
                               int timeout_ms);

}  // namespace parley::kafka
