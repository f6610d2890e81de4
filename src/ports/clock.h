// Clock: where "now" comes from, so tests can move time by hand.
// Thread-safe. Wall-clock milliseconds since the Unix epoch.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "domain/types.h"

namespace parley {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis now() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start) : now_(start) {}
  Millis now() const override { return now_.load(); }
  void advance(Millis ms) { now_ += ms; }

 private:
  std::atomic<Millis> now_;
};

using ClockPtr = std::unique_ptr<Clock>;

}  // namespace parley
