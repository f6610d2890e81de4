#include "core/metrics.h"

#include <fmt/format.h>

namespace parley {

void Histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Histogram::render(std::string_view name) const {
  std::string out = fmt::format("# TYPE {} histogram\n", name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n", name, sum_micros_.load(std::memory_order_relaxed) / 1e6);
  out += fmt::format("{}_count {}\n", name, count_.load(std::memory_order_relaxed));
  return out;
}

namespace {

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t v) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
}

void gauge(std::string& out, std::string_view name, std::string_view help, std::int64_t v) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, v);
}

// The sections of render(), in the order of the struct.

void renderLive(std::string& out, const Metrics& m) {
  gauge(out, "parley_connections", "Open WebSocket connections.", m.connections.value());
  counter(out, "parley_connections_total", "WebSocket connections accepted.",
          m.connections_total.value());
  counter(out, "parley_http_requests_total", "HTTP requests served.", m.http_requests.value());
  counter(out, "parley_messages_total", "Messages committed.", m.messages_sent.value());
  counter(out, "parley_events_delivered_total", "Event frames written to WebSockets.",
          m.events_delivered.value());
  counter(out, "parley_slow_consumers_total", "Connections closed for a full outbound queue.",
          m.slow_consumers.value());
  counter(out, "parley_bus_rejected_total",
          "Payloads from the bus between nodes that did not open under the bus key (dropped).",
          m.bus_rejected.value());
  counter(out, "parley_cache_hits_total", "Timeline reads answered by the cache.",
          m.cache_hits.value());
  counter(out, "parley_cache_misses_total", "Timeline reads that went to the store.",
          m.cache_misses.value());
}

void renderBus(std::string& out, const Metrics& m) {
  counter(out, "parley_bus_backfills_total",
          "Times this node backfilled every live room from the store because its bus lost events.",
          m.bus_backfills.value());
  counter(out, "parley_bus_records_total",
          "Records read from the Kafka bus (every room's, before the filter).",
          m.bus_records.value());
  counter(out, "parley_bus_malformed_total",
          "Kafka bus records skipped: no usable key, or larger than the record cap.",
          m.bus_malformed.value());
  counter(out, "parley_bus_publish_dropped_total",
          "Publishes the Kafka bus refused (full queue, too large) or the broker never took.",
          m.bus_publish_dropped.value());
  counter(out, "parley_bus_offset_resets_total",
          "Kafka partitions whose stored offsets were gone (read on from the end, backfilled).",
          m.bus_offset_resets.value());
  gauge(out, "parley_bus_resumed_partitions",
        "Kafka partitions this node read on from the offsets it stored before a restart.",
        m.bus_resumed_partitions.value());
  counter(out, "parley_redis_cluster_redirects_total",
          "MOVED and ASK replies the Redis Cluster client followed.",
          m.redis_cluster_redirects.value());
  counter(out, "parley_redis_cluster_redirects_refused_total",
          "MOVED and ASK replies naming a node the cluster never announced (not followed).",
          m.redis_cluster_redirects_refused.value());
  counter(out, "parley_redis_cluster_map_loads_total",
          "Redis Cluster slot maps loaded that differed from the previous one.",
          m.redis_cluster_map_loads.value());
  counter(out, "parley_redis_cluster_slot_moves_total",
          "Sharded subscriptions a Redis Cluster node ended because their slot moved.",
          m.redis_cluster_slot_moves.value());
}

void renderHistory(std::string& out, const Metrics& m) {
  out +=
      "# HELP parley_history_reads_total History page reads, by where the page came from "
      "(page: this node's rendered newest page; cache: the cache's recent events; store: the "
      "store).\n# TYPE parley_history_reads_total counter\n";
  out += fmt::format("parley_history_reads_total{{source=\"page\"}} {}\n",
                     m.history_page_hits.value());
  out += fmt::format("parley_history_reads_total{{source=\"cache\"}} {}\n",
                     m.history_cache_hits.value());
  out += fmt::format("parley_history_reads_total{{source=\"store\"}} {}\n",
                     m.history_store_reads.value());
  gauge(out, "parley_history_page_cache_bytes", "Bytes of rendered history pages this node holds.",
        m.history_page_bytes.value());
}

void renderAccounts(std::string& out, const Metrics& m) {
  counter(out, "parley_logins_total", "Successful logins.", m.logins.value());
  counter(out, "parley_logins_failed_total", "Failed logins.", m.logins_failed.value());
  counter(out, "parley_logins_locked_total", "Logins refused by a login limit.",
          m.logins_locked.value());
  counter(out, "parley_logins_new_network_total", "Logins from a network not seen before.",
          m.logins_new_network.value());
  counter(out, "parley_suspicious_logins_total",
          "Logins scored as suspicious (an alert went to the account's other sessions).",
          m.suspicious_logins.value());
  counter(out, "parley_registrations_limited_total",
          "Registrations refused by a registration limit.", m.registrations_limited.value());
  counter(out, "parley_session_cache_rejected_total",
          "Cached sessions refused because their MAC did not verify.",
          m.session_cache_rejected.value());
}

void renderFiles(std::string& out, const Metrics& m) {
  counter(out, "parley_uploads_total", "Files stored.", m.uploads.value());
  counter(out, "parley_upload_bytes_total", "Plaintext bytes of the files stored.",
          m.upload_bytes.value());
  counter(out, "parley_upload_failures_total",
          "Uploads refused or failed after their body started.", m.upload_failures.value());
  counter(out, "parley_downloads_total", "File and thumbnail responses started.",
          m.downloads.value());
  counter(out, "parley_download_bytes_total", "Plaintext bytes of files served.",
          m.download_bytes.value());
  counter(out, "parley_thumbnails_refused_total",
          "Images that got no thumbnail (too many pixels, too large, not decodable).",
          m.thumbnails_refused.value());
  counter(out, "parley_thumbnails_late_total",
          "Images whose thumbnail was not made within the upload's wait, or whose uploader "
          "had too many thumbnails queued.",
          m.thumbnails_late.value());
  gauge(out, "parley_thumbnail_jobs_queued", "Thumbnail jobs waiting for a worker.",
        m.thumbnail_jobs_queued.value());
  counter(out, "parley_uploads_refused_total",
          "Uploads refused before their body by a quota, the upload rate or an in-flight cap.",
          m.uploads_refused.value());
  counter(out, "parley_uploads_too_slow_total",
          "Upload bodies cut for arriving below the minimum transfer rate.",
          m.uploads_too_slow.value());
  counter(out, "parley_file_integrity_failures_total",
          "Stored file chunks that failed authentication (never served).",
          m.file_integrity_failures.value());
  counter(out, "parley_tls_handshakes_failed_total",
          "TLS handshakes that failed (plain HTTP on the TLS port, an old protocol, no common "
          "cipher, a client that went away).",
          m.tls_handshakes_failed.value());
}

void renderSearch(std::string& out, const Metrics& m) {
  counter(out, "parley_searches_total", "Search requests answered.", m.searches.value());
  counter(out, "parley_search_suggestions_total", "Search suggestion requests answered.",
          m.search_suggestions.value());
  counter(out, "parley_search_indexed_events_total",
          "Timeline events the search indexer has processed.", m.search_indexed_events.value());
  gauge(out, "parley_search_index_lag_events",
        "Events written on this node not yet in the search index.", m.search_index_lag.value());
}

void renderKeys(std::string& out, const Metrics& m) {
  counter(out, "parley_key_service_calls_total",
          "Room data keys wrapped or unwrapped by the key service (keyring, KMS or Vault).",
          m.key_service_calls.value());
  counter(out, "parley_key_service_failures_total",
          "Key service calls that failed (unreachable, refused, or a key that did not open).",
          m.key_service_failures.value());
  gauge(out, "parley_key_service_up",
        "1 while the key service answers, 0 while its circuit breaker is open.",
        m.key_service_up.value());
  gauge(out, "parley_key_breaker_state",
        "The key service's circuit breaker: 0 closed, 1 half-open, 2 open.",
        m.key_breaker_state.value());
  counter(out, "parley_key_breaker_rejected_total",
          "Key service calls refused at once (503) while the breaker was open.",
          m.key_breaker_rejected.value());
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  renderLive(out, *this);
  renderBus(out, *this);
  renderHistory(out, *this);
  renderAccounts(out, *this);
  renderFiles(out, *this);
  renderSearch(out, *this);
  renderKeys(out, *this);
  out +=
      "# HELP parley_errors_total Errors answered, by code.\n# TYPE parley_errors_total counter\n";
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    out += fmt::format("parley_errors_total{{code=\"{}\"}} {}\n", codeName(static_cast<Code>(i)),
                       errors_[i].value());
  }
  out += "# HELP parley_send_to_ack_seconds Time from a send's arrival to its ack.\n";
  out += send_to_ack.render("parley_send_to_ack_seconds");
  return out;
}

Metrics& metrics() {
  static Metrics m;
  return m;
}

}  // namespace parley
