// The test S3 server (PARLEY_TEST_S3_URL, started by scripts/test.sh through
// scripts/services.sh and scripts/s3-server.sh): these tests fail, not skip, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "adapters/s3/s3_config.h"

namespace parley::s3::test {

// PARLEY_TEST_S3_URL: plain HTTP to moto. PARLEY_TEST_S3_TLS_URL: the same moto over HTTPS
// (s3+https://127.0.0.1:PORT/...&ca=<throwaway CA>), through a TLS-terminating HAProxy.
inline std::optional<S3Config> testConfig(const char* var = "PARLEY_TEST_S3_URL") {
  const char* url = std::getenv(var);
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << var << " is not set. Run the S3 tests through scripts/test.sh, "
                  << "or start the test S3 server with: eval \"$(scripts/services.sh start)\"";
    return std::nullopt;
  }
  auto c = parseS3Url(url);
  EXPECT_TRUE(c) << var << ": " << (c ? "" : c.error().message);
  if (!c) return std::nullopt;
  c->part_bytes = 5 * 1024 * 1024;  // S3's minimum, so the contract's large object has 3 parts
  return *c;
}

inline std::optional<S3Config> tlsTestConfig() {
  auto c = testConfig("PARLEY_TEST_S3_TLS_URL");
  if (c) {
    EXPECT_TRUE(c->tls);
    EXPECT_FALSE(c->ca_file.empty());
  }
  return c;
}

}  // namespace parley::s3::test
