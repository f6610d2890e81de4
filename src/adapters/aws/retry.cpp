#include "adapters/aws/retry.h"

#include <algorithm>
#include <cstdint>
#include <random>

namespace parley::aws {

std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  auto wait = initial * (1 << std::clamp(attempt - 1, 0, 16));
  wait = std::min(wait, max);
  std::uniform_int_distribution<std::int64_t> half(wait.count() / 2, wait.count());
  return std::chrono::milliseconds(half(rng));
}

}  // namespace parley::aws
