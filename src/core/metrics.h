// Process-wide counters and histograms, rendered in the Prometheus text format.
//
// Thread-safe and lock-free on the hot path (relaxed atomics). Metrics are created once at
// start-up by `Metrics` and live for the whole process; labels are fixed at creation.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Latency histogram in seconds with fixed buckets from 100 µs to 10 s.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0};
  void observe(double seconds) noexcept;
  std::string render(std::string_view name) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

struct Metrics {
  Gauge connections;             // open WebSockets
  Counter connections_total;     // WebSockets accepted
  Counter http_requests;         // HTTP requests served
  Counter messages_sent;         // messages committed (not counting duplicates)
  Counter events_delivered;      // event frames written to WebSockets
  Counter slow_consumers;        // connections closed for a full outbound queue
  Counter bus_rejected;          // bus payloads that did not open (forged, moved, altered)
  Counter bus_backfills;         // times every live room was backfilled from the Store (bus loss)
  Counter bus_records;           // records read from a log bus (Kafka), every room
  Counter bus_malformed;         // ... skipped: no usable key, or over the size cap
  Counter bus_publish_dropped;   // publishes the bus refused or never delivered
  Counter bus_offset_resets;     // a log bus's stored offsets were gone (then backfilled)
  Gauge bus_resumed_partitions;  // partitions read on from this node's stored offsets
  Counter redis_cluster_redirects;          // MOVED/ASK followed by the Redis Cluster client
  Counter redis_cluster_redirects_refused;  // ... not followed: the node was never announced
  Counter redis_cluster_map_loads;   // slot maps (CLUSTER SLOTS) that changed and were installed
  Counter redis_cluster_slot_moves;  // sunsubscribe pushed on a slot migration
  Counter cache_hits;                // resume/history reads answered by the cache
  Counter cache_misses;
  // History page reads (GET /rooms/{id}/messages), by where the page came from: the node's
  // rendered newest page (PageCache), the Cache's recent events, or the Store.
  Counter history_page_hits;
  Counter history_cache_hits;
  Counter history_store_reads;
  Gauge history_page_bytes;         // bytes the node's PageCache holds
  Counter logins;                   // successful logins
  Counter logins_failed;            // wrong password or unknown account
  Counter logins_locked;            // refused by a login limit
  Counter logins_new_network;       // successful logins from a network not seen before
  Counter suspicious_logins;        // logins scored at or above the threshold (login_risk.h)
  Counter registrations_limited;    // registrations refused by a registration limit
  Counter session_cache_rejected;   // cached sessions whose MAC did not verify (treated as a miss)
  Counter uploads;                  // files stored
  Counter upload_bytes;             // plaintext bytes of the files stored
  Counter upload_failures;          // uploads refused or failed after the body started
  Counter downloads;                // file and thumbnail responses started
  Counter download_bytes;           // plaintext bytes served
  Counter thumbnails_refused;       // images that got no thumbnail (too large, not decodable)
  Counter thumbnails_late;          // thumbnails not made within the upload's wait, or queue full
  Gauge thumbnail_jobs_queued;      // thumbnail jobs waiting for a worker
  Counter uploads_refused;          // uploads refused by a quota, rate or in-flight cap
  Counter uploads_too_slow;         // upload bodies cut for arriving below the minimum rate
  Counter file_integrity_failures;  // stored chunks that failed authentication
  Counter tls_handshakes_failed;    // TLS handshakes refused or cut (plain HTTP, TLS 1.0, ...)
  Counter searches;                 // search requests answered
  Counter search_suggestions;       // suggestion requests answered
  Counter search_indexed_events;    // timeline events the search indexer has processed
  Gauge search_index_lag;           // events written on this node and not yet indexed
  Counter key_service_calls;        // room data keys wrapped or unwrapped by the KeyProvider
  Counter key_service_failures;     // of those, the ones that failed (unreachable, refused)
  Gauge key_service_up;             // 0 while the key service's circuit breaker is open
  Gauge key_breaker_state;          // 0 closed, 1 half-open (one probe), 2 open
  Counter key_breaker_rejected;     // calls refused at once while the breaker was open
  Histogram send_to_ack;            // from a send's arrival to its ack, seconds

  void countError(Code c) noexcept { errors_[static_cast<std::size_t>(c)].inc(); }
  std::string render() const;

 private:
  std::array<Counter, static_cast<std::size_t>(Code::internal) + 1> errors_{};
};

// The one registry of the process.
Metrics& metrics();

}  // namespace parley
