// How long the AWS adapters (S3, KMS) wait before retrying a call that may succeed later
// (5xx, throttling, a broken connection). Thread-safe.
#pragma once

#include <chrono>

namespace parley::aws {

// Before try number attempt + 1 (attempt >= 1): initial * 2^(attempt - 1), capped at `max`,
// then a random point of the upper half of that, so that concurrent retries spread out.
std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, int attempt);

}  // namespace parley::aws
