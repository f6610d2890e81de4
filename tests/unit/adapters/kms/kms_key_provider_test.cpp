// The KMS KeyProvider against moto's KMS server (which verifies SigV4 signatures and binds
// the encryption context into its ciphertexts): the KeyProvider contract over HTTP and
// HTTPS, and what the server refuses.
#include "adapters/kms/kms_key_provider.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "kms_test_env.h"
#include "ports/key_provider_contract.h"

namespace parley::kms {
namespace {

using key_contract::KeyProviderContract;
using ::parley::testing::await;

key_contract::KeyProviderFactory factory(const char* name, const char* var) {
  return {name, [var]() -> KeyProviderPtr {
            auto c = test::testConfig(var);
            if (!c) return nullptr;
            return makeKmsKeyProvider(std::move(*c));
          }};
}

INSTANTIATE_TEST_SUITE_P(Kms, KeyProviderContract,
                         ::testing::Values(factory("KMS_HTTP", "PARLEY_TEST_KMS_URL"),
                                           factory("KMS_HTTPS", "PARLEY_TEST_KMS_TLS_URL")),
                         [](const auto& info) { return info.param.name; });

TEST(KmsKeyProvider, TheServerRejectsAWrongSecret) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  // Sanity: the right secret works against this very server.
  auto good = makeKmsKeyProvider(*c);
  ASSERT_TRUE(await(good->wrap(crypto::randomBytes(32), "room:1:v1")));

  c->credentials.secret_key += "x";
  auto stats = std::make_shared<KmsStats>();
  auto keys = makeKmsKeyProvider(*c, stats);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r) << "a request signed with the wrong secret was served";
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  EXPECT_EQ(r.error().message.find(c->credentials.secret_key), std::string::npos);
  EXPECT_NE(r.error().message.find("Signature"), std::string::npos) << r.error().message;
  EXPECT_EQ(stats->retries.load(), 0u) << "a refused signature was retried";
}

TEST(KmsKeyProvider, AnUnknownAccessKeyIsRefused) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  c->credentials.access_key = "AKIAUNKNOWNKEY000000";
  auto keys = makeKmsKeyProvider(*c);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
}

TEST(KmsKeyProvider, AnUnknownKeyIdIsRefused) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  c->key_id = "00000000-0000-4000-8000-000000000000";
  auto keys = makeKmsKeyProvider(*c);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
}

TEST(KmsKeyProvider, UnwrappingCallsKmsOncePerCall) {
  // The adapter itself keeps nothing: caching unwrapped keys is RoomKeys' job (bounded), so
  // that a key disabled in KMS stops working as soon as caches expire.
  // Over HTTPS through HAProxy, which keeps client connections alive (moto itself does not).
  auto c = test::testConfig("PARLEY_TEST_KMS_TLS_URL");
  ASSERT_TRUE(c);
  auto stats = std::make_shared<KmsStats>();
  auto keys = makeKmsKeyProvider(*c, stats);
  const std::string key = crypto::randomBytes(32);
  auto w = await(keys->wrap(key, "room:5:v1"));
  ASSERT_TRUE(w) << w.error().message;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(await(keys->unwrap(*w, "room:5:v1")).value(), key);
  EXPECT_EQ(stats->requests.load(), 4u);
  EXPECT_EQ(stats->connections_opened.load(), 1u) << "connections are not kept alive";
}

}  // namespace
}  // namespace parley::kms
