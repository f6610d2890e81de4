// The Vault URL, the token as read from the environment or a file, and the Transit wire
// format, with the hostile shapes a broken or compromised server could answer.
#include "adapters/vault/vault_wire.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "adapters/vault/vault_config.h"
#include "adapters/vault/vault_key_provider.h"
#include "crypto/random.h"

namespace parley::vault {
namespace {

TEST(VaultUrl, ReadsHostPortMountAndKey) {
  auto c = parseVaultUrl("vault+http://127.0.0.1:8201/transit/keys/parley");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, "8201");
  EXPECT_EQ(c->mount, "transit");
  EXPECT_EQ(c->key_name, "parley");
  EXPECT_FALSE(c->tls);
  EXPECT_TRUE(c->token.empty());

  auto n = parseVaultUrl("vault+https://vault.example.com/team/transit/keys/chat-1?namespace=ops");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_TRUE(n->tls);
  EXPECT_EQ(n->port, "8200");
  EXPECT_EQ(n->mount, "team/transit");
  EXPECT_EQ(n->key_name, "chat-1");
  EXPECT_EQ(n->vault_namespace, "ops");
}

TEST(VaultUrl, RefusesCredentialsWithoutRepeatingThem) {
  for (const char* url : {"vault+https://s.SecretToken123@vault:8200/transit/keys/k",
                          "vault+https://user:s.SecretToken123@vault:8200/transit/keys/k",
                          "vault+http://:s.SecretToken123@127.0.0.1/transit/keys/k"}) {
    auto c = parseVaultUrl(url);
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().code, Code::bad_request);
    EXPECT_NE(c.error().message.find("PARLEY_VAULT_TOKEN"), std::string::npos);
    EXPECT_EQ(c.error().message.find("SecretToken123"), std::string::npos) << c.error().message;
  }
}

TEST(VaultUrl, RefusesBadShapes) {
  for (const char* url :
       {"vault://h/transit/keys/k", "https://h/transit/keys/k", "vault+http:///transit/keys/k",
        "vault+http://h/transit/k", "vault+http://h/keys/k", "vault+http://h/transit/keys/",
        "vault+http://h/transit/keys/a/b", "vault+http://h/../keys/k",
        "vault+http://h/transit/keys/k%2F..", "vault+http://h:0/transit/keys/k",
        "vault+http://h:99999/transit/keys/k", "vault+http://h/transit/keys/k?ca=/etc/x",
        "vault+http://h/transit/keys/k?token=x", "vault+http://h/transit/keys/k#f",
        "vault+http://h//keys/k", "vault+http://h/a//b/keys/k"}) {
    auto c = parseVaultUrl(url);
    EXPECT_FALSE(c) << url << " was accepted";
    if (!c) {
      EXPECT_EQ(c.error().code, Code::bad_request);
    }
  }
  EXPECT_TRUE(isVaultUrl("vault+https://h/transit/keys/k"));
  EXPECT_FALSE(isVaultUrl("kms+https://a:b@h/k"));
}

TEST(VaultToken, TrimsWhiteSpaceAndRefusesTheRest) {
  EXPECT_EQ(checkToken("  s.abc123\n").value(), "s.abc123");
  for (std::string bad :
       {std::string(""), std::string(" \n"), std::string("s.a b"), std::string("s.\x01"),
        std::string("s.\xc3\xa9"), std::string(5000, 'a')}) {
    auto t = checkToken(bad);
    EXPECT_FALSE(t) << bad;
  }
}

TEST(VaultWire, RequestsCarryBase64OfKeyAndContext) {
  const std::string key = crypto::randomBytes(32);
  auto e = boost::json::parse(encryptRequest(key, "room:42:v1"));
  EXPECT_EQ(crypto::fromBase64(std::string_view(e.at("plaintext").as_string())).value(), key);
  EXPECT_EQ(crypto::fromBase64(std::string_view(e.at("context").as_string())).value(),
            "room:42:v1");
  auto d = boost::json::parse(decryptRequest("vault:v2:AAAA", "room:42:v1"));
  EXPECT_EQ(d.at("ciphertext").as_string(), "vault:v2:AAAA");
}

TEST(VaultWire, CiphertextVersions) {
  EXPECT_EQ(ciphertextVersion("vault:v1:AAAA").value(), 1u);
  EXPECT_EQ(ciphertextVersion("vault:v17:AAAA").value(), 17u);
  for (std::string bad :
       {"", "vault:v0:AAAA", "vault:v01:AAAA", "vault:v1:", "vault:v1:!!", "vault:vx:AAAA",
        "vault:v1AAAA", "vault:v99999999999:AAAA", "vault:v-1:AAAA", "VAULT:v1:AAAA"}) {
    EXPECT_FALSE(ciphertextVersion(bad)) << bad;
  }
  EXPECT_FALSE(ciphertextVersion("vault:v1:" + std::string(2000, 'A')));
  EXPECT_EQ(wrappedKeyVersion(std::string(1, kWrappedFormat) + "vault:v3:AAAA").value(), 3u);
  EXPECT_FALSE(wrappedKeyVersion("\x02vault:v3:AAAA"));
}

TEST(VaultWire, HostileAnswersAreInternal) {
  const std::string key = crypto::randomBytes(32);
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string(R"({"data":null})"),
        std::string(R"({"data":{"plaintext":7}})"), std::string(R"({"data":{"plaintext":"!!"}})"),
        R"({"data":{"plaintext":")" + crypto::base64(key.substr(0, 16)) + R"("}})",
        R"({"data":{"plaintext":")" + crypto::base64(key + "x") + R"("}})",
        R"({"data":{"plaintext":")" + crypto::base64(std::string(4096, 'k')) + R"("}})"}) {
    auto r = decryptAnswer(body, 32);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Code::internal);
  }
  EXPECT_EQ(decryptAnswer(R"({"data":{"plaintext":")" + crypto::base64(key) + R"("}})", 32).value(),
            key);
  for (const std::string& body :
       {std::string(R"({"data":{"ciphertext":"opaque"}})"),
        std::string(R"({"data":{"ciphertext":"vault:v1:!!"}})"),
        R"({"data":{"ciphertext":"vault:v1:)" + std::string(4000, 'A') + R"("}})"}) {
    auto r = encryptAnswer(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Code::internal);
  }
}

TEST(VaultWire, ErrorTextIsPrintableAndBounded) {
  EXPECT_EQ(errorText(R"({"errors":["permission denied"]})"), "permission denied");
  EXPECT_EQ(errorText(R"({"errors":["1 error occurred:\n\t* permission denied\n\n"]})"),
            "1 error occurred:  * permission denied  ");
  EXPECT_EQ(errorText(R"({"errors":["a","b"]})"), "a; b");
  EXPECT_EQ(errorText("<html>"), "");
  EXPECT_EQ(errorText(R"({"errors":[")" + std::string(5000, 'x') + R"("]})").size(), 300u);
  // Found by fuzz_vault_wire: an error ending at the bound, then an empty one.
  EXPECT_EQ(errorText(R"({"errors":[")" + std::string(299, 'x') + R"(",""]})").size(), 300u);
  EXPECT_EQ(errorText(R"({"errors":[")" + std::string(300, 'x') + R"(","y"]})").size(), 300u);
  EXPECT_TRUE(retryable(500) && retryable(503) && retryable(429));
  EXPECT_FALSE(retryable(400) || retryable(403) || retryable(404) || retryable(412));
}

}  // namespace
}  // namespace parley::vault
