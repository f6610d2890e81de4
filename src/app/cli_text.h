// How the command-line tools (`parley admin`, `parley audit`) print things for people.
#pragma once

#include <ctime>
#include <string>

#include "domain/types.h"

namespace parley::app {

// A moment as ISO 8601 UTC to the second: 2026-12-08T01:45:00Z.
inline std::string utcText(Millis at) {
  const std::time_t t = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace parley::app
