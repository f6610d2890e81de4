#include "service/upload_gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/metrics.h"
#include "service/files.h"

namespace parley {

namespace {

constexpr Millis kDayMs = 24LL * 3600 * 1000;
constexpr Millis kMinuteMs = 60 * 1000;

int seconds(Millis ms) { return static_cast<int>(std::max<Millis>(1, (ms + 999) / 1000)); }

Error quota(std::string what, int retry_after_s = 0) {
  metrics().uploads_refused.inc();
  Error e = makeError(Code::payload_too_large, "quota_exceeded: " + std::move(what));
  e.retry_after_s = retry_after_s;
  return e;
}

Error tooMany(Code code, std::string what, int retry_after_s) {
  metrics().uploads_refused.inc();
  Error e = makeError(code, std::move(what));
  e.retry_after_s = retry_after_s;
  return e;
}

// The Cache key of a user's bytes uploaded in the current UTC day.
std::string dayKey(UserId user) { return "upload_bytes:" + std::to_string(user); }

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

}  // namespace

// --- UploadTicket ---

UploadTicket::UploadTicket(UploadTicket&& o) noexcept
    : gate_(std::exchange(o.gate_, nullptr)),
      user_(o.user_),
      allowed_(o.allowed_),
      charged_(o.charged_),
      received_(o.received_),
      reserved_(o.reserved_) {}

UploadTicket::~UploadTicket() { release(); }

void UploadTicket::release() {
  if (gate_) gate_->release(*this);
  gate_ = nullptr;
}

Task<Status> UploadTicket::received(std::uint64_t total) {
  if (!gate_) co_return Status{};
  received_ = total;
  if (total > allowed_) {
    co_return quota(
        fmt::format("unattached uploads would pass {}", mib(gate_->limits_.max_unattached_bytes)));
  }
  gate_->reserveMore(*this, total);
  co_return co_await gate_->chargeDay(*this, total);
}

Task<void> UploadTicket::settle(bool kept) {
  const std::uint64_t keep = kept ? received_ : 0;
  if (!gate_ || charged_ <= keep) co_return;
  const auto refund = static_cast<std::int64_t>(charged_ - keep);
  charged_ = keep;
  std::string key = dayKey(user_);
  co_await gate_->cache_.charge(std::move(key), -refund,
                                static_cast<std::int64_t>(gate_->limits_.max_bytes_per_day), kDayMs,
                                gate_->clock_.now());
}

// --- UploadGate ---

UploadGate::UploadGate(Store& store, Cache& cache, const Clock& clock, const FileLimits& limits)
    : store_(store), cache_(cache), clock_(clock), limits_(limits) {}

// admit's steps, in order: a place in flight, the upload rate, the unattached quotas (files
// and bytes, counting the other uploads in flight), then the day's bytes.
Task<Result<UploadTicket>> UploadGate::admit(UserId who, std::optional<std::uint64_t> declared) {
  auto t = takeSlot(who);
  if (!t) co_return t.error();
  // From here on `t` holds the slot: every refusal below gives it back by destruction.
  auto rate = co_await checkRate(who);
  if (!rate) co_return rate.error();
  auto room = co_await checkUnattached(*t, declared);
  if (!room) co_return room.error();
  // A body of unknown length is charged as it arrives (UploadTicket::received); its first
  // byte now, so that a day's quota used up is refused before the body.
  const std::uint64_t ahead = declared ? *declared : 1;
  reserveMore(*t, ahead);
  auto day = co_await chargeDay(*t, ahead);
  if (!day) co_return day.error();
  co_return std::move(*t);
}

Result<UploadTicket> UploadGate::takeSlot(UserId who) {
  std::lock_guard lock(mu_);
  if (limits_.max_in_flight > 0 && total_in_flight_ >= limits_.max_in_flight) {
    return tooMany(Code::busy, "too many uploads in flight on this server", 1);
  }
  auto it = in_flight_.find(who);
  if (it != in_flight_.end() && limits_.max_in_flight_per_user > 0 &&
      it->second.count >= limits_.max_in_flight_per_user) {
    return tooMany(Code::rate_limited,
                   fmt::format("at most {} uploads in flight", limits_.max_in_flight_per_user), 1);
  }
  ++in_flight_[who].count;
  ++total_in_flight_;
  UploadTicket t;
  t.gate_ = this;
  t.user_ = who;
  return t;
}

Task<Status> UploadGate::checkRate(UserId who) {
  if (limits_.uploads_per_minute <= 0) co_return Status{};
  std::string key = "uploads:" + std::to_string(who);
  auto rate =
      co_await cache_.hit(std::move(key), limits_.uploads_per_minute, kMinuteMs, clock_.now());
  if (!rate.allowed) {
    co_return tooMany(Code::rate_limited,
                      fmt::format("at most {} uploads a minute", limits_.uploads_per_minute),
                      seconds(rate.retry_after_ms));
  }
  co_return Status{};
}

// Sets t.allowed_ to what the unattached bytes quota leaves (--max-upload itself is the
// caller's to check, before admission and as the body streams).
Task<Status> UploadGate::checkUnattached(UploadTicket& t, std::optional<std::uint64_t> declared) {
  auto usage = co_await store_.unattachedUsage(t.user_);
  if (!usage) co_return makeError(Code::unavailable, "the store is unavailable");
  std::uint64_t in_flight_bytes = 0;
  int in_flight_count = 0;
  {
    std::lock_guard lock(mu_);
    in_flight_bytes = in_flight_[t.user_].bytes;
    in_flight_count = in_flight_[t.user_].count - 1;  // the others, not this one
  }
  if (limits_.max_unattached_files > 0 &&
      usage->count + in_flight_count >= limits_.max_unattached_files) {
    co_return quota(fmt::format("at most {} unattached uploads; attach some to messages first",
                                limits_.max_unattached_files));
  }
  t.allowed_ = UINT64_MAX;
  if (limits_.max_unattached_bytes > 0) {
    const std::uint64_t used = usage->bytes + in_flight_bytes;
    const std::uint64_t left =
        used < limits_.max_unattached_bytes ? limits_.max_unattached_bytes - used : 0;
    t.allowed_ = std::min(t.allowed_, left);
  }
  if (declared && *declared > t.allowed_) {
    co_return quota(
        fmt::format("unattached uploads would pass {}", mib(limits_.max_unattached_bytes)));
  }
  co_return Status{};
}

Task<Status> UploadGate::chargeDay(UploadTicket& t, std::uint64_t upto) {
  if (limits_.max_bytes_per_day == 0 || upto <= t.charged_) co_return Status{};
  const std::uint64_t more = upto - t.charged_;
  std::string key = dayKey(t.user_);
  auto d = co_await cache_.charge(std::move(key), static_cast<std::int64_t>(more),
                                  static_cast<std::int64_t>(limits_.max_bytes_per_day), kDayMs,
                                  clock_.now());
  if (!d.allowed) {
    co_return quota(fmt::format("at most {} uploaded a day (UTC)", mib(limits_.max_bytes_per_day)),
                    seconds(d.retry_after_ms));
  }
  t.charged_ = upto;
  co_return Status{};
}

void UploadGate::reserveMore(UploadTicket& t, std::uint64_t bytes) {
  if (bytes <= t.reserved_) return;
  std::lock_guard lock(mu_);
  in_flight_[t.user_].bytes += bytes - t.reserved_;
  t.reserved_ = bytes;
}

void UploadGate::release(UploadTicket& t) {
  std::lock_guard lock(mu_);
  --total_in_flight_;
  auto it = in_flight_.find(t.user_);
  // Every ticket with a gate was counted in admit, and only its own release uncounts it.
  assert(it != in_flight_.end() && it->second.count > 0);
  it->second.bytes -= std::min(it->second.bytes, t.reserved_);
  if (--it->second.count == 0) in_flight_.erase(it);
}

}  // namespace parley
