// The Vault KeyProvider against a real OpenBao 2.7.2 dev server (Vault's open-source fork,
// same Transit API): the KeyProvider contract with a token allowed only encrypt and decrypt
// on its key, what the server refuses, and key rotation.
#include "adapters/vault/vault_key_provider.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "ports/key_provider_contract.h"
#include "vault_test_env.h"

namespace parley::vault {
namespace {

using key_contract::KeyProviderContract;
using ::parley::testing::await;

INSTANTIATE_TEST_SUITE_P(Vault, KeyProviderContract,
                         ::testing::Values(key_contract::KeyProviderFactory{
                             "OPENBAO_HTTP",
                             []() -> KeyProviderPtr {
                               auto c = test::testConfig();
                               if (!c) return nullptr;
                               return makeVaultKeyProvider(std::move(*c));
                             }}),
                         [](const auto& info) { return info.param.name; });

TEST(VaultKeyProvider, AWrongTokenIsRefusedAndNeverShown) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  c->token = "s.WrongTokenValue0000000000";
  auto stats = std::make_shared<VaultStats>();
  auto keys = makeVaultKeyProvider(*c, stats);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r) << "a wrong token was served";
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  EXPECT_NE(r.error().message.find("HTTP 403"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("WrongTokenValue"), std::string::npos) << r.error().message;
  EXPECT_EQ(stats->retries.load(), 0u) << "a refused token was retried";
}

TEST(VaultKeyProvider, TheNodeTokenCannotUseAnotherKey) {
  auto fresh = test::freshKey();
  ASSERT_TRUE(fresh);
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  c->key_name = fresh->key_name;  // the node's token, on a key its policy does not name
  auto keys = makeVaultKeyProvider(*c);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
}

TEST(VaultKeyProvider, AfterRotationOldBlobsOpenAndNewOnesUseTheNewVersion) {
  auto c = test::freshKey();
  ASSERT_TRUE(c);
  auto keys = makeVaultKeyProvider(*c);
  const std::string key = crypto::randomBytes(32);
  auto old_blob = await(keys->wrap(key, "room:3:v1"));
  ASSERT_TRUE(old_blob) << old_blob.error().message;
  EXPECT_EQ(wrappedKeyVersion(*old_blob).value(), 1u);
  ASSERT_EQ(test::adminPost(*c, "transit/keys/" + c->key_name + "/rotate", "{}") / 100, 2);

  EXPECT_EQ(await(keys->unwrap(*old_blob, "room:3:v1")).value(), key);
  auto new_blob = await(keys->wrap(key, "room:3:v1"));
  ASSERT_TRUE(new_blob) << new_blob.error().message;
  EXPECT_EQ(wrappedKeyVersion(*new_blob).value(), 2u);

  // Raising min_decryption_version retires v1: what was not re-wrapped no longer opens.
  ASSERT_EQ(test::adminPost(*c, "transit/keys/" + c->key_name + "/config",
                            R"({"min_decryption_version":2})") /
                100,
            2);
  auto retired = await(keys->unwrap(*old_blob, "room:3:v1"));
  ASSERT_FALSE(retired);
  EXPECT_EQ(retired.error().code, Code::internal) << retired.error().message;
  EXPECT_EQ(await(keys->unwrap(*new_blob, "room:3:v1")).value(), key);
}

TEST(VaultKeyProvider, AKeyWithoutDerivationIgnoresTheContext) {
  // Why the start-up check (app/) unwraps under a second context: Transit silently ignores
  // `context` on a key created without derived=true, so the binding would be lost.
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  c->key_name = "nd-" + crypto::base64url(crypto::randomBytes(6));
  for (char& ch : c->key_name) ch = (ch == '_' ? 'u' : ch);
  ASSERT_EQ(test::adminPost(*c, "transit/keys/" + c->key_name, "{}") / 100, 2);
  c->token = test::env("PARLEY_TEST_VAULT_ROOT_TOKEN");
  auto keys = makeVaultKeyProvider(*c);
  const std::string key = crypto::randomBytes(32);
  auto blob = await(keys->wrap(key, "room:1:v1"));
  ASSERT_TRUE(blob) << blob.error().message;
  auto other = await(keys->unwrap(*blob, "room:2:v1"));
  EXPECT_TRUE(other) << "OpenBao now refuses a context on a non-derived key: the start-up "
                        "check may be simplified";
}

}  // namespace
}  // namespace parley::vault
