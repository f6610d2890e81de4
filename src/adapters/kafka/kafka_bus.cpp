#include "adapters/kafka/kafka_bus.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "adapters/kafka/kafka_client.h"
#include "adapters/kafka/offset_file.h"
#include "core/log.h"
#include "core/metrics.h"

namespace parley::kafka {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxKeyBytes = 256;  // Bus topics are "room:<id>", "user:<id>"
constexpr int kQueryTimeoutMs = 5'000;
// Records made this long before the bus started are read (their offsets count) but not
// delivered: every client of this node connected after it started and got its state from
// the Store, so an old typing or presence frame would only mislead it. The margin covers
// clock skew between nodes (record timestamps are the producing node's clock).
constexpr std::int64_t kStaleMarginMs = 5'000;

std::int64_t wallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the bus, its poller and queued deliveries share. Deliveries hold it, not the bus.
struct Shared {
  Shared(asio::any_io_executor ex, std::shared_ptr<KafkaStats> s)
      : deliver(asio::make_strand(std::move(ex))), stats(std::move(s)) {}

  asio::strand<asio::any_io_executor> deliver;
  const std::shared_ptr<KafkaStats> stats;

  std::mutex mu;
  std::shared_ptr<const Bus::Handler> handler;                // guarded by mu
  std::shared_ptr<const std::function<void()>> resubscribed;  // guarded by mu
  std::unordered_set<std::string> wanted;                     // guarded by mu

  std::atomic<std::size_t> in_flight{0};  // posted to `deliver`, not yet run
  std::mutex flow_mu;
  std::condition_variable flow_cv;  // in_flight fell to half the cap

  std::shared_ptr<const Bus::Handler> handlerFor(const std::string& topic) {
    std::lock_guard lock(mu);
    return wanted.contains(topic) ? handler : nullptr;
  }
};

void count(std::atomic<std::uint64_t>& stat, Counter& metric) {
  stat.fetch_add(1, std::memory_order_relaxed);
  metric.inc();
}

class KafkaBus final : public Bus {
 public:
  KafkaBus(asio::any_io_executor ex, KafkaOptions opts, Handle producer, Handle consumer)
      : opts_(std::move(opts)),
        shared_(std::make_shared<Shared>(std::move(ex), opts_.stats)),
        producer_(std::move(producer)),
        consumer_(std::move(consumer)),
        publish_topic_(rd_kafka_topic_new(producer_.get(), opts_.topic.c_str(), nullptr)) {
    poller_ = std::thread([this] { run(); });
  }

  ~KafkaBus() override {
    {
      std::lock_guard lock(stop_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    shared_->flow_cv.notify_all();
    poller_.join();
    rd_kafka_flush(producer_.get(), 2'000);
    rd_kafka_consumer_close(consumer_.get());
  }

  void setHandler(Handler on_message, std::function<void()> on_resubscribed) override {
    std::lock_guard lock(shared_->mu);
    if (on_message) shared_->handler = std::make_shared<const Handler>(std::move(on_message));
    if (on_resubscribed) {
      shared_->resubscribed =
          std::make_shared<const std::function<void()>>(std::move(on_resubscribed));
    }
  }

  void subscribe(const std::string& topic) override {
    std::lock_guard lock(shared_->mu);
    shared_->wanted.insert(topic);
  }

  void unsubscribe(const std::string& topic) override {
    std::lock_guard lock(shared_->mu);
    shared_->wanted.erase(topic);
  }

  void publish(const std::string& topic, Payload payload) override {
    if (!payload) return;
    auto& stats = *opts_.stats;
    if (payload->size() > opts_.max_record_bytes || topic.empty() || topic.size() > kMaxKeyBytes) {
      count(stats.publish_dropped, metrics().bus_publish_dropped);
      return;
    }
    // Copied (F_COPY): librdkafka owns its copy until the broker acknowledged it.
    if (rd_kafka_produce(publish_topic_.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                         const_cast<char*>(payload->data()), payload->size(), topic.data(),
                         topic.size(), nullptr) != 0) {
      count(stats.publish_dropped, metrics().bus_publish_dropped);
      return;
    }
    stats.published.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  bool stopping() {
    std::lock_guard lock(stop_mu_);
    return stop_;
  }
  void waitUnlessStopped(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait_for(lock, d, [this] { return stop_; });
  }

  void run();
  bool assign();
  void handle(const rd_kafka_message_t& m);
  void handleError(const rd_kafka_message_t& m);
  void throttle();
  void keepOffsets(bool force);
  void postResubscribed();

  KafkaOptions opts_;
  std::shared_ptr<Shared> shared_;
  Handle producer_;
  Handle consumer_;
  TopicHandle publish_topic_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_

  const std::int64_t started_ms_ = wallMillis();

  // Poller thread only.
  Offsets positions_;  // partition -> next offset to read
  bool positions_dirty_ = false;
  Clock::time_point saved_at_ = Clock::now();
  std::thread poller_;  // last: started once everything above exists
};

// The poller: serves the producer's delivery reports, reads records, keeps the offsets file.
// A dedicated thread, not an Asio timer: librdkafka's consumer_poll blocks until a record or
// its timeout, so this thread wakes for each batch at once, yet idles without spinning; the
// node's I/O threads never block on librdkafka.
void KafkaBus::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping()) {
    rd_kafka_poll(producer_.get(), 0);
    if (opts_.stats->assigned.load(std::memory_order_relaxed) == 0) {
      if (!assign()) {
        waitUnlessStopped(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
      }
      continue;
    }
    throttle();
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 100);
    if (m != nullptr) {
      handle(*m);
      rd_kafka_message_destroy(m);
    }
    keepOffsets(false);
  }
  keepOffsets(true);
}

// The topic exists, and every partition is read from a known offset: the stored one, else
// the current end (so a record published after this returns is read, and none before).
bool KafkaBus::assign() {
  auto st = ensureTopic(producer_.get(), opts_, kQueryTimeoutMs);
  auto n =
      st ? partitionCount(consumer_.get(), opts_.topic, kQueryTimeoutMs) : Result<int>(st.error());
  if (!n) {
    log::warn("kafka_not_ready", {{"topic", opts_.topic}, {"error", n.error().message}});
    return false;
  }
  const Offsets stored =
      opts_.offsets_file.empty() ? Offsets() : loadOffsets(opts_.offsets_file, opts_.topic);
  Offsets start;
  std::int64_t resumed = 0;
  for (int p = 0; p < *n; ++p) {
    if (auto it = stored.find(p); it != stored.end()) {
      start[p] = it->second;
      ++resumed;
      continue;
    }
    auto end = endOffset(consumer_.get(), opts_.topic, p, kQueryTimeoutMs);
    if (!end) return false;
    start[p] = *end;
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(*n);
  for (const auto& [p, offset] : start)
    rd_kafka_topic_partition_list_add(list, opts_.topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t e = rd_kafka_assign(consumer_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::warn("kafka_assign_failed", {{"error", rd_kafka_err2str(e)}});
    return false;
  }
  positions_ = start;
  positions_dirty_ = true;
  auto& stats = *opts_.stats;
  stats.partitions.store(*n, std::memory_order_relaxed);
  stats.resumed_partitions.store(resumed, std::memory_order_relaxed);
  metrics().bus_resumed_partitions.add(resumed);
  stats.assigned.store(1, std::memory_order_relaxed);
  log::info("kafka_reading", {{"topic", opts_.topic}, {"partitions", *n}, {"resumed", resumed}});
  return true;
}

void KafkaBus::handle(const rd_kafka_message_t& m) {
  if (m.err) {
    handleError(m);
    return;
  }
  auto& stats = *opts_.stats;
  count(stats.consumed, metrics().bus_records);
  positions_[m.partition] = m.offset + 1;
  positions_dirty_ = true;
  // Anyone who can write to the topic can write anything: a missing or oversized key or
  // value is skipped (SealedBus then refuses what does not open).
  if (m.key == nullptr || m.key_len == 0 || m.key_len > kMaxKeyBytes ||
      m.len > opts_.max_record_bytes) {
    count(stats.malformed, metrics().bus_malformed);
    return;
  }
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t made_ms = rd_kafka_message_timestamp(&m, &ts_type);
  if (made_ms >= 0 && made_ms < started_ms_ - kStaleMarginMs) {
    stats.before_start.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::string topic(static_cast<const char*>(m.key), m.key_len);
  auto handler = shared_->handlerFor(topic);
  if (!handler) return;
  auto payload = std::make_shared<const std::string>(static_cast<const char*>(m.payload), m.len);
  stats.delivered.fetch_add(1, std::memory_order_relaxed);
  shared_->in_flight.fetch_add(1, std::memory_order_relaxed);
  asio::post(shared_->deliver,
             [shared = shared_, cap = opts_.max_in_flight, handler = std::move(handler),
              topic = std::move(topic), payload = std::move(payload)] {
               (*handler)(topic, payload);
               if (shared->in_flight.fetch_sub(1, std::memory_order_relaxed) == cap / 2 + 1) {
                 std::lock_guard lock(shared->flow_mu);
                 shared->flow_cv.notify_all();
               }
             });
}

// An offset that is gone (retention, or a topic made anew) is the one loss Kafka reports:
// read on from the end, and backfill from the Store. Other errors are transient (the client
// reconnects and fetches on from its position) and only logged.
void KafkaBus::handleError(const rd_kafka_message_t& m) {
  if (m.err != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
      m.err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    log::warn("kafka_read_error",
              {{"error", rd_kafka_err2name(m.err)}, {"partition", m.partition}});
    return;
  }
  auto end = endOffset(consumer_.get(), opts_.topic, m.partition, kQueryTimeoutMs);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, opts_.topic.c_str(), m.partition)->offset =
      end ? *end : RD_KAFKA_OFFSET_END;
  rd_kafka_error_t* err = rd_kafka_seek_partitions(consumer_.get(), list, kQueryTimeoutMs);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != nullptr) {
    log::warn("kafka_seek_failed", {{"error", rd_kafka_error_string(err)}});
    rd_kafka_error_destroy(err);
  }
  if (end) positions_[m.partition] = *end;
  positions_dirty_ = true;
  log::warn("kafka_offsets_gone", {{"partition", m.partition}});
  count(opts_.stats->offset_resets, metrics().bus_offset_resets);
  postResubscribed();
}

void KafkaBus::postResubscribed() {
  std::shared_ptr<const std::function<void()>> call;
  {
    std::lock_guard lock(shared_->mu);
    call = shared_->resubscribed;
  }
  opts_.stats->resubscribed.fetch_add(1, std::memory_order_relaxed);
  if (call) asio::post(shared_->deliver, [call] { (*call)(); });
}

void KafkaBus::throttle() {
  if (shared_->in_flight.load(std::memory_order_relaxed) < opts_.max_in_flight) return;
  std::unique_lock lock(shared_->flow_mu);
  shared_->flow_cv.wait_for(lock, std::chrono::milliseconds(100), [this] {
    return shared_->in_flight.load(std::memory_order_relaxed) <= opts_.max_in_flight / 2;
  });
}

void KafkaBus::keepOffsets(bool force) {
  if (opts_.offsets_file.empty() || !positions_dirty_) return;
  if (!force && Clock::now() - saved_at_ < std::chrono::seconds(1)) return;
  saveOffsets(opts_.offsets_file, opts_.topic, positions_);
  positions_dirty_ = false;
  saved_at_ = Clock::now();
}

}  // namespace

Result<BusPtr> makeKafkaBus(boost::asio::any_io_executor ex, KafkaOptions opts) {
  if (opts.brokers.empty()) return makeError(Code::bad_request, "kafka: no broker");
  if (!opts.stats) opts.stats = std::make_shared<KafkaStats>();
  auto producer = makeProducer(opts, opts.stats.get());
  if (!producer) return producer.error();
  auto consumer = makeConsumer(opts);
  if (!consumer) return consumer.error();
  log::info("bus", {{"kind", "kafka"}, {"url", redactedKafkaUrl(opts)}});
  return BusPtr(std::make_unique<KafkaBus>(std::move(ex), std::move(opts), std::move(*producer),
                                           std::move(*consumer)));
}

}  // namespace parley::kafka
