// A small HDR-style latency histogram: log-bucketed, 64 linear sub-buckets per power of two
// (relative error under 1.6%), values in microseconds, exact count, min and max.
// Not thread-safe; the load generator records from its one I/O thread.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

namespace parley_bench {

class Histogram {
 public:
  void record(int64_t micros) {
    uint64_t v = micros < 0 ? 0 : static_cast<uint64_t>(micros);
    ++counts_[indexOf(v)];
    ++count_;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }

  // The value at quantile q (0..1): the upper edge of the bucket holding it, capped at max.
  uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) {
        uint64_t upper = upperEdge(i);
        return upper < max_ ? upper : max_;
      }
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr size_t kBuckets = (64 - kSubBits) * (1u << kSubBits) + (2u << kSubBits);

  static size_t indexOf(uint64_t v) {
    if (v < (2u << kSubBits)) return static_cast<size_t>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - kSubBits;
    return static_cast<size_t>(shift) * (1u << kSubBits) + static_cast<size_t>(v >> shift);
  }

  static uint64_t upperEdge(size_t i) {
    if (i < (2u << kSubBits)) return i;
    size_t shift = i / (1u << kSubBits) - 1;
    uint64_t q = i % (1u << kSubBits) + (1u << kSubBits);
    return ((q + 1) << shift) - 1;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace parley_bench
