// Admission of uploads, decided before a byte of the body is read (docs/api.md, "Upload
// limits"): uploads in flight per user and per node, the upload rate, and the quotas of
// unattached uploads (count and bytes) and of bytes per day.
//
// What is the record of each: unattached uploads are rows of the Store (one query per
// upload, so every node sees the same figure); bytes per day and the upload rate are
// fixed-window counters in the Cache (Redis on the scaled backend, shared by every node);
// uploads in flight are this node's own (a total cap protects the node; a user's uploads
// in flight on other nodes are not counted). Bytes of uploads in flight on this node count
// against the unattached quota too, so concurrent uploads on one node cannot pass it
// together; across nodes the overshoot is at most the in-flight cap times --max-upload.
//
// A body without Content-Length (chunked) is counted as it streams: UploadTicket::received
// refuses once the total passes a quota. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "core/error.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"

namespace parley {

struct FileLimits;
class UploadGate;

// One admitted upload. Holds its in-flight slot until destroyed; move-only.
class UploadTicket {
 public:
  UploadTicket() = default;
  UploadTicket(UploadTicket&& o) noexcept;
  UploadTicket& operator=(UploadTicket&&) = delete;
  ~UploadTicket();

  // `total` plaintext bytes of the body have arrived. Code::payload_too_large
  // ("quota_exceeded: ...") once they pass what the quotas leave; the caller stops reading.
  Task<Status> received(std::uint64_t total);
  // The upload is over: gives back what was charged to the day's quota beyond the bytes
  // kept (all of it when the upload was refused, cut or failed; the part of a declared
  // length the body did not reach).
  Task<void> settle(bool kept);
  // Gives the in-flight place back now rather than at destruction. Idempotent.
  void release();

 private:
  friend class UploadGate;
  UploadGate* gate_ = nullptr;
  UserId user_ = 0;
  std::uint64_t allowed_ = 0;  // bytes the unattached quota leaves this upload
  std::uint64_t charged_ = 0;  // bytes charged to the day's quota so far
  std::uint64_t received_ = 0;
  std::uint64_t reserved_ = 0;  // bytes counted as in flight for user_ on this node
};

class UploadGate {
 public:
  // `limits` is read on every call and must outlive the gate.
  UploadGate(Store& store, Cache& cache, const Clock& clock, const FileLimits& limits);

  // Admits one upload of `who` declaring `declared` bytes (nullopt: not known yet).
  // Refusals (nothing is counted against the quotas):
  //   Code::busy: the node has --uploads-in-flight uploads running;
  //   Code::rate_limited: `who` has --uploads-in-flight-per-user running here, or has
  //     started --upload-rate uploads this minute (retry_after_s set);
  //   Code::payload_too_large "quota_exceeded: ...": `who` has --upload-quota-files
  //     unattached uploads, or the declared bytes do not fit what the unattached-bytes or
  //     the daily quota leaves (retry_after_s set for the day's: until 00:00 UTC);
  //   Code::unavailable: the Store failed.
  Task<Result<UploadTicket>> admit(UserId who, std::optional<std::uint64_t> declared);

 private:
  friend class UploadTicket;
  struct InFlight {
    int count = 0;
    std::uint64_t bytes = 0;
  };
  Result<UploadTicket> takeSlot(UserId who);
  Task<Status> checkRate(UserId who);
  Task<Status> checkUnattached(UploadTicket& t, std::optional<std::uint64_t> declared);
  Task<Status> chargeDay(UploadTicket& t, std::uint64_t upto);
  void release(UploadTicket& t);
  void reserveMore(UploadTicket& t, std::uint64_t bytes);

  Store& store_;
  Cache& cache_;
  const Clock& clock_;
  const FileLimits& limits_;
  std::mutex mu_;
  int total_in_flight_ = 0;               // guarded by mu_
  std::map<UserId, InFlight> in_flight_;  // guarded by mu_
};

}  // namespace parley
