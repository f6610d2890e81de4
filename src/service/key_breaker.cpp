#include "service/key_breaker.h"

#include "core/log.h"
#include "core/metrics.h"

namespace parley {

KeyServiceBreaker::KeyServiceBreaker(KeyProviderPtr&& inner, BreakerOptions options, Now now)
    : inner_(std::move(inner)), options_(options), now_(std::move(now)) {
  std::lock_guard lock(mu_);
  publishLocked();
}

void KeyServiceBreaker::publishLocked() const {
  metrics().key_service_up.set(state_ == State::open ? 0 : 1);
  metrics().key_breaker_state.set(static_cast<std::int64_t>(state_));
}

KeyServiceBreaker::State KeyServiceBreaker::state() const {
  std::lock_guard lock(mu_);
  if (state_ == State::open && now_() - opened_at_ >= options_.open_for) return State::half_open;
  return state_;
}

bool KeyServiceBreaker::admit() {
  std::lock_guard lock(mu_);
  if (state_ == State::open && now_() - opened_at_ >= options_.open_for) {
    state_ = State::half_open;
    probing_ = false;
    publishLocked();
  }
  if (state_ == State::closed) return true;
  // A probe never answered (its caller was cancelled) does not hold the breaker half-open.
  if (state_ == State::half_open && (!probing_ || now_() - probe_at_ >= options_.open_for)) {
    probing_ = true;  // this call is the probe
    probe_at_ = now_();
    return true;
  }
  metrics().key_breaker_rejected.inc();
  return false;
}

void KeyServiceBreaker::record(bool unavailable) {
  std::lock_guard lock(mu_);
  if (!unavailable) {
    if (state_ != State::closed) log::info("key_service_recovered", {});
    state_ = State::closed;
    failures_ = 0;
    probing_ = false;
    publishLocked();
    return;
  }
  ++failures_;
  const bool was_open = state_ == State::open;
  if (state_ == State::half_open || failures_ >= options_.failures_to_open) {
    state_ = State::open;
    opened_at_ = now_();
    probing_ = false;
    if (!was_open) {
      log::warn("key_service_down", {{"consecutive_failures", failures_},
                                     {"retry_after_ms", options_.open_for.count()}});
    }
    publishLocked();
  }
}

Error KeyServiceBreaker::refused() const {
  return makeError(Code::unavailable, "the key service is unavailable (circuit open); retry later");
}

boost::asio::awaitable<Result<std::string>> KeyServiceBreaker::wrap(std::string data_key,
                                                                    std::string context) {
  if (!admit()) co_return refused();
  auto r = co_await inner_->wrap(std::move(data_key), std::move(context));
  record(!r && r.error().code == Code::unavailable);
  co_return r;
}

boost::asio::awaitable<Result<std::string>> KeyServiceBreaker::unwrap(std::string wrapped,
                                                                      std::string context) {
  if (!admit()) co_return refused();
  auto r = co_await inner_->unwrap(std::move(wrapped), std::move(context));
  record(!r && r.error().code == Code::unavailable);
  co_return r;
}

boost::asio::awaitable<Result<std::string>> KeyServiceBreaker::wrapInScope(std::string data_key,
                                                                           std::string context,
                                                                           std::string scope) {
  if (!admit()) co_return refused();
  auto r = co_await inner_->wrapInScope(std::move(data_key), std::move(context), std::move(scope));
  record(!r && r.error().code == Code::unavailable);
  co_return r;
}

boost::asio::awaitable<Status> KeyServiceBreaker::destroyScope(std::string scope) {
  if (!admit()) co_return refused();
  auto r = co_await inner_->destroyScope(std::move(scope));
  record(!r && r.error().code == Code::unavailable);
  co_return r;
}

}  // namespace parley
