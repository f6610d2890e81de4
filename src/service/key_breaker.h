// KeyServiceBreaker: a circuit breaker in front of the KeyProvider, so that a key service
// that is down (KMS or Vault unreachable) costs a cold read one quick 503, not the adapter's
// retries and timeouts each time (docs/operations.md, "When the key service is down").
//
//   closed     every call goes through; `failures_to_open` consecutive calls answered
//              Code::unavailable (the adapter's retries and timeouts spent) open it.
//   open       every call is refused at once with Code::unavailable, for `open_for`;
//   half-open  then one call (the probe) goes through while the others are still refused:
//              its success closes the breaker, its failure opens it again for `open_for`.
//
// Only Code::unavailable counts as a failure: a refusal (internal: a tampered blob, a
// destroyed scope, a denied key) means the service answered. Keys already unwrapped are
// cached by RoomKeys in front of this, so warm rooms keep working while it is open; nothing
// is ever sealed without a key, so a refused send stores nothing and may be retried.
// The state is in /metrics (parley_key_service_up, parley_key_breaker_state) and /readyz.
//
// Thread-safe. It owns the provider it guards.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "ports/key_provider.h"

namespace parley {

struct BreakerOptions {
  int failures_to_open = 3;
  std::chrono::milliseconds open_for{std::chrono::seconds(5)};
};

class KeyServiceBreaker final : public KeyProvider {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  enum class State { closed = 0, half_open = 1, open = 2 };

  explicit KeyServiceBreaker(KeyProviderPtr&& inner, BreakerOptions options = {},
                             Now now = &std::chrono::steady_clock::now);

  boost::asio::awaitable<Result<std::string>> wrap(std::string data_key,
                                                   std::string context) override;
  boost::asio::awaitable<Result<std::string>> unwrap(std::string wrapped,
                                                     std::string context) override;
  bool canShred() const override { return inner_->canShred(); }
  boost::asio::awaitable<Result<std::string>> wrapInScope(std::string data_key, std::string context,
                                                          std::string scope) override;
  boost::asio::awaitable<Status> destroyScope(std::string scope) override;

  // As the next call would find it (an open breaker whose time is up reads half_open).
  State state() const;

 private:
  // Whether a call may go through now; a half-open breaker lets one probe through.
  bool admit();
  // The outcome of a call that went through.
  void record(bool unavailable);
  Error refused() const;
  void publishLocked() const;

  KeyProviderPtr inner_;
  const BreakerOptions options_;
  const Now now_;
  mutable std::mutex mu_;
  State state_ = State::closed;                      // GUARDED_BY(mu_)
  int failures_ = 0;                                 // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point opened_at_;  // GUARDED_BY(mu_)
  bool probing_ = false;                             // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point probe_at_;   // GUARDED_BY(mu_)
};

}  // namespace parley
