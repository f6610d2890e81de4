// The test KMS server (moto's, PARLEY_TEST_KMS_URL and PARLEY_TEST_KMS_TLS_URL, started by
// scripts/test.sh through scripts/services.sh and scripts/s3-server.sh): these tests fail,
// not skip, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "adapters/kms/kms_config.h"

namespace parley::kms::test {

// PARLEY_TEST_KMS_URL: plain HTTP to moto, as an IAM user allowed kms:Encrypt and
// kms:Decrypt only. PARLEY_TEST_KMS_TLS_URL: the same over HTTPS through HAProxy (throwaway
// CA in ca=).
inline std::optional<KmsConfig> testConfig(const char* var = "PARLEY_TEST_KMS_URL") {
  const char* url = std::getenv(var);
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << var << " is not set. Run the KMS tests through scripts/test.sh, "
                  << "or start the test servers with: eval \"$(scripts/services.sh start)\"";
    return std::nullopt;
  }
  auto c = parseKmsUrl(url);
  EXPECT_TRUE(c) << var << ": " << (c ? "" : c.error().message);
  if (!c) return std::nullopt;
  return *c;
}

}  // namespace parley::kms::test
