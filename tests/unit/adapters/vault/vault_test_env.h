// The test Vault server (OpenBao 2.7.2 dev server: PARLEY_TEST_VAULT_URL,
// PARLEY_TEST_VAULT_TOKEN, PARLEY_TEST_VAULT_ROOT_TOKEN, started by scripts/test.sh through
// scripts/services.sh and scripts/services/openbao.sh): these tests fail, not skip, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "adapters/aws/http_client.h"
#include "adapters/vault/vault_config.h"
#include "crypto/random.h"
#include "support/await.h"

namespace parley::vault::test {

inline const char* env(const char* var) {
  const char* v = std::getenv(var);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << var << " is not set. Run the Vault tests through scripts/test.sh, "
                  << "or start the test servers with: eval \"$(scripts/services.sh start)\"";
    return nullptr;
  }
  return v;
}

// The key "parley" with PARLEY_TEST_VAULT_TOKEN: a token whose policy allows only update on
// transit/encrypt/parley and transit/decrypt/parley.
inline std::optional<VaultConfig> testConfig() {
  const char* url = env("PARLEY_TEST_VAULT_URL");
  const char* token = env("PARLEY_TEST_VAULT_TOKEN");
  if (url == nullptr || token == nullptr) return std::nullopt;
  auto c = parseVaultUrl(url);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  if (!c) return std::nullopt;
  c->token = token;
  return *c;
}

// One call as root (to manage keys): POST /v1/<path> with `json`; the HTTP status, or 0.
inline int adminPost(const VaultConfig& c, const std::string& path, const std::string& json) {
  const char* root = env("PARLEY_TEST_VAULT_ROOT_TOKEN");
  if (root == nullptr) return 0;
  aws::HttpClient http(aws::HttpClientOptions{});
  aws::HttpRequest req{"POST",
                       c.host,
                       c.port,
                       c.host,
                       "/v1/" + path,
                       {{"Host", c.host + ":" + c.port},
                        {"X-Vault-Token", root},
                        {"Content-Type", "application/json"}},
                       json};
  auto r = ::parley::testing::await(http.exchange(req, aws::HttpLimits{}));
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->status : 0;
}

// A fresh derived key "t-<random>" on the test server, and a config naming it with the root
// token (so a test may rotate it and raise its min_decryption_version without touching the
// key other tests share).
inline std::optional<VaultConfig> freshKey() {
  auto c = testConfig();
  const char* root = env("PARLEY_TEST_VAULT_ROOT_TOKEN");
  if (!c || root == nullptr) return std::nullopt;
  c->key_name = "t-" + crypto::base64url(crypto::randomBytes(9));
  for (char& ch : c->key_name) ch = (ch == '_' ? 'u' : ch);
  if (adminPost(*c, "transit/keys/" + c->key_name, R"({"derived":true})") / 100 != 2) {
    ADD_FAILURE() << "could not create key " << c->key_name;
    return std::nullopt;
  }
  c->token = root;
  return c;
}

}  // namespace parley::vault::test
