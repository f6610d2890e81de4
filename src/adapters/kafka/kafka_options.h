// Configuration and counters of the Kafka Bus (kafka_bus.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "domain/types.h"

namespace parley::kafka {

// Counters and gauges the bus updates as it runs (relaxed atomics, readable from any thread).
// Tests read them to wait for a condition; the process-wide ones are in core/metrics.h.
struct KafkaStats {
  std::atomic<std::int64_t> assigned{0};    // 1 once every partition is read from a known offset
  std::atomic<std::int64_t> partitions{0};  // partitions of the topic being read
  std::atomic<std::int64_t> resumed_partitions{0};  // ... of them started from a stored offset
  std::atomic<std::uint64_t> published{0};          // records handed to the producer
  std::atomic<std::uint64_t> publish_dropped{0};    // refused: producer queue full, too large
  std::atomic<std::uint64_t> delivery_failed{0};    // the broker never acknowledged a record
  std::atomic<std::uint64_t> consumed{0};           // records read, every room
  std::atomic<std::uint64_t> delivered{0};          // ... for a subscribed topic, to the handler
  std::atomic<std::uint64_t> malformed{0};          // records without a usable key, or too large
  std::atomic<std::uint64_t> before_start{0};   // made before this bus started: read, not delivered
  std::atomic<std::uint64_t> offset_resets{0};  // stored offsets gone (retention)
  std::atomic<std::uint64_t> resubscribed{0};   // times on_resubscribed was called
};

struct KafkaOptions {
  std::vector<std::string> brokers;  // HOST:PORT, at least one
  std::string topic = "parley.events";
  int partitions = 6;  // made with this many when the topic does not exist yet
  // librdkafka properties for real clusters (security.protocol, sasl.*, ssl.*), as the URL
  // gave them; parseKafkaUrl accepts only the documented names.
  std::map<std::string, std::string> client;

  // Largest payload carried. Bigger publishes are dropped and counted; bigger records read
  // are skipped and counted; the topic is made with a broker-side cap just above it.
  std::size_t max_record_bytes = 1 << 20;
  // Bytes of records waiting in the producer (broker down or slow); beyond it publishes are
  // dropped and counted.
  std::size_t max_queued_bytes = 16 << 20;
  // A record the broker has not acknowledged after this long is given up (counted).
  Millis message_timeout_ms = 300'000;
  // Payloads handed to the handler but not yet run; at the cap the poller stops reading
  // (Kafka keeps the rest), so a slow node holds bounded memory.
  std::size_t max_in_flight = 10'000;
  // Where this node keeps the offsets it processed, so a restart continues from them. Empty:
  // nothing kept, a start reads from the end of each partition.
  std::string offsets_file;

  std::shared_ptr<KafkaStats> stats;  // created by the factory when null
};

bool isKafkaUrl(std::string_view url);

// kafka://HOST:PORT[,HOST:PORT...][?topic=T&partitions=N&security.protocol=...&sasl.mechanism=
// ...&sasl.username=...&sasl.password=...&ssl.ca.location=...&ssl.certificate.location=...&
// ssl.key.location=...&ssl.key.password=...]; values may be percent-encoded. Anything else
// (unknown or repeated parameter, missing port, bad topic name) is a bad_request naming it.
Result<KafkaOptions> parseKafkaUrl(std::string_view url);

// The URL without secrets, for logs.
std::string redactedKafkaUrl(const KafkaOptions& opts);

}  // namespace parley::kafka
