// The test S3 server (PARLEY_TEST_S3_URL, started by scripts/test.sh through
// scripts/services.sh and scripts/s3-server.sh): these tests fail, not skip, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "adapters/s3/s3_config.h"

namespace parley::s3::test {

inline std::optional<S3Config> testConfig() {
  const char* url = std::getenv("PARLEY_TEST_S3_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "PARLEY_TEST_S3_URL is not set. Run the S3 tests through scripts/test.sh, "
                     "or start the test S3 server with: eval \"$(scripts/services.sh start)\"";
    return std::nullopt;
  }
  auto c = parseS3Url(url);
  EXPECT_TRUE(c) << "PARLEY_TEST_S3_URL: " << (c ? "" : c.error().message);
  if (!c) return std::nullopt;
  c->part_bytes = 5 * 1024 * 1024;  // S3's minimum, so the contract's large object has 3 parts
  return *c;
}

}  // namespace parley::s3::test
