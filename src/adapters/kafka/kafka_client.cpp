#include "adapters/kafka/kafka_client.h"

#include <algorithm>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"

namespace parley::kafka {
namespace {

using Conf = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;
using Props = std::vector<std::pair<std::string, std::string>>;

// Record batches carry some bytes around the payload and key.
constexpr std::size_t kRecordOverhead = 64 * 1024;

void logCallback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level <= 4) log::warn("kafka_client", {{"facility", facility}, {"message", message}});
}

void errorCallback(rd_kafka_t*, int err, const char* reason, void*) {
  log::warn("kafka_error", {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                            {"reason", reason}});
}

void deliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (!m->err) return;
  static_cast<KafkaStats*>(opaque)->delivery_failed.fetch_add(1, std::memory_order_relaxed);
  metrics().bus_publish_dropped.inc();
  log::warn("kafka_delivery_failed", {{"error", rd_kafka_err2name(m->err)}});
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Result<Conf> makeConf(const KafkaOptions& opts, const Props& props) {
  Conf conf(rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  Props all = {{"bootstrap.servers", joined(opts.brokers)},
               {"client.id", "parley"},
               {"reconnect.backoff.ms", "100"},
               {"reconnect.backoff.max.ms", "2000"},
               {"log.connection.close", "false"}};
  all.insert(all.end(), opts.client.begin(), opts.client.end());
  all.insert(all.end(), props.begin(), props.end());
  char err[512];
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return makeError(Code::bad_request, k + ": " + err);
  }
  rd_kafka_conf_set_log_cb(conf.get(), logCallback);
  rd_kafka_conf_set_error_cb(conf.get(), errorCallback);
  return conf;
}

Result<Handle> makeHandle(rd_kafka_type_t type, Conf conf) {
  char err[512];
  rd_kafka_t* h = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (h == nullptr) return makeError(Code::bad_request, err);
  conf.release();  // rd_kafka_new took it
  return Handle(h);
}

}  // namespace

Result<Handle> makeProducer(const KafkaOptions& opts, KafkaStats* stats) {
  auto conf = makeConf(
      opts, {{"enable.idempotence", "true"},
             {"linger.ms", "2"},
             {"queue.buffering.max.kbytes",
              std::to_string(std::max<std::size_t>(1, opts.max_queued_bytes / 1024))},
             {"message.max.bytes", std::to_string(opts.max_record_bytes + kRecordOverhead)},
             {"message.timeout.ms", std::to_string(opts.message_timeout_ms)}});
  if (!conf) return conf.error();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), deliveryCallback);
  rd_kafka_conf_set_opaque(conf->get(), stats);
  return makeHandle(RD_KAFKA_PRODUCER, std::move(*conf));
}

Result<Handle> makeConsumer(const KafkaOptions& opts) {
  const std::size_t partition_fetch = opts.max_record_bytes + kRecordOverhead;
  const std::size_t fetch = std::max<std::size_t>(4 << 20, 2 * partition_fetch);
  // group.id only because librdkafka's assign() needs one: the reader never joins the group
  // and never commits, so nodes never rebalance each other.
  auto conf = makeConf(opts, {{"group.id", "parley-bus-reader"},
                              {"enable.auto.commit", "false"},
                              {"enable.auto.offset.store", "false"},
                              {"auto.offset.reset", "error"},
                              {"allow.auto.create.topics", "false"},
                              {"check.crcs", "true"},
                              {"max.partition.fetch.bytes", std::to_string(partition_fetch)},
                              {"fetch.max.bytes", std::to_string(fetch)},
                              {"receive.message.max.bytes", std::to_string(fetch + (1 << 20))},
                              {"queued.max.messages.kbytes", "16384"}});
  if (!conf) return conf.error();
  return makeHandle(RD_KAFKA_CONSUMER, std::move(*conf));
}

Status ensureTopic(rd_kafka_t* h, const KafkaOptions& opts, int timeout_ms) {
  char err[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(opts.topic.c_str(), opts.partitions, -1, err, sizeof err);
  if (topic == nullptr) return makeError(Code::bad_request, err);
  const std::string cap = std::to_string(opts.max_record_bytes + kRecordOverhead);
  rd_kafka_NewTopic_set_config(topic, "max.message.bytes", cap.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(h);
  rd_kafka_CreateTopics(h, &topic, 1, nullptr, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeout_ms);
  Status st = makeError(Code::unavailable, "kafka: no answer to CreateTopics");
  if (ev != nullptr) {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results =
        res != nullptr ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && n == 1) e = rd_kafka_topic_result_error(results[0]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      st = {};
    } else {
      st = makeError(Code::unavailable, std::string("kafka: CreateTopics: ") + rd_kafka_err2str(e));
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  return st;
}

Result<int> partitionCount(rd_kafka_t* h, const std::string& topic, int timeout_ms) {
  TopicHandle t(rd_kafka_topic_new(h, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(h, 0, t.get(), &md, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return makeError(Code::unavailable, std::string("kafka: metadata: ") + rd_kafka_err2str(e));
  int n = 0;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    n = md->topics[0].partition_cnt;
  if (md->topic_cnt == 1) e = md->topics[0].err;
  rd_kafka_metadata_destroy(md);
  if (n <= 0)
    return makeError(Code::unavailable, std::string("kafka: topic: ") + rd_kafka_err2str(e));
  return n;
}

Result<std::int64_t> endOffset(rd_kafka_t* h, const std::string& topic, int partition,
                               int timeout_ms) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  rd_kafka_resp_err_t e =
      rd_kafka_query_watermark_offsets(h, topic.c_str(), partition, &low, &high, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return makeError(Code::unavailable, std::string("kafka: watermarks: ") + rd_kafka_err2str(e));
  return high;
}

}  // namespace parley::kafka
