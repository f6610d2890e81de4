// What the Vault adapter sends and how it maps answers, against a scripted HTTP server on a
// free loopback port (support/scripted_http_server.h): the token header and the context in
// each call, bounded retries, the port's error codes, and answers a compromised server could
// give (garbage, wrong-length keys, huge bodies, the token echoed back).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "adapters/vault/vault_key_provider.h"
#include "crypto/random.h"
#include "support/await.h"
#include "support/scripted_http_server.h"

namespace parley::vault {
namespace {

using ::parley::testing::await;
using Server = ::parley::testing::ScriptedHttpServer;

const std::string kToken = "s.TopSecretVaultToken42";

std::string ok(const std::string& json) { return Server::reply(200, "OK", json); }
std::string vaultError(int status, const std::string& error) {
  return Server::reply(status, "Error", R"({"errors":[")" + error + R"("]})");
}
std::string plaintextAnswer(const std::string& key) {
  return ok(R"({"data":{"plaintext":")" + crypto::base64(key) + R"("}})");
}

VaultConfig configFor(const std::string& port) {
  VaultConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.key_name = "parley";
  c.token = kToken;
  c.backoff_initial = std::chrono::milliseconds(1);
  c.backoff_max = std::chrono::milliseconds(4);
  return c;
}

struct Provider {
  std::shared_ptr<VaultStats> stats = std::make_shared<VaultStats>();
  KeyProviderPtr keys;
  explicit Provider(const Server& s) : keys(makeVaultKeyProvider(configFor(s.port()), stats)) {}
  Result<std::string> unwrap() {
    return await(keys->unwrap(std::string(1, kWrappedFormat) + "vault:v1:AAAA", "room:1:v1"));
  }
};

TEST(VaultProtocol, EncryptSendsTheTokenAndTheContext) {
  Server server({ok(R"({"data":{"ciphertext":"vault:v4:QUJD","key_version":4}})")});
  Provider p(server);
  const std::string key = crypto::randomBytes(32);
  auto wrapped = await(p.keys->wrap(key, "room:42:v1"));
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  EXPECT_EQ(*wrapped, std::string(1, kWrappedFormat) + "vault:v4:QUJD");
  EXPECT_EQ(wrappedKeyVersion(*wrapped).value(), 4u);
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].head.rfind("POST /v1/transit/encrypt/parley HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(got[0].head.find("X-Vault-Token: " + kToken + "\r\n"), std::string::npos);
  auto body = boost::json::parse(got[0].body);
  EXPECT_EQ(crypto::fromBase64(std::string_view(body.at("context").as_string())).value(),
            "room:42:v1");
  EXPECT_EQ(crypto::fromBase64(std::string_view(body.at("plaintext").as_string())).value(), key);
}

TEST(VaultProtocol, DecryptSendsTheCiphertextAndTheSameContext) {
  const std::string key = crypto::randomBytes(32);
  Server server({plaintextAnswer(key)});
  Provider p(server);
  EXPECT_EQ(p.unwrap().value(), key);
  const auto req = server.received().at(0);
  EXPECT_EQ(req.head.rfind("POST /v1/transit/decrypt/parley HTTP/1.1\r\n", 0), 0u);
  auto body = boost::json::parse(req.body);
  EXPECT_EQ(body.at("ciphertext").as_string(), "vault:v1:AAAA");
  EXPECT_EQ(crypto::fromBase64(std::string_view(body.at("context").as_string())).value(),
            "room:1:v1");
}

TEST(VaultProtocol, ServerErrorsSealedAndRateLimitsAreRetried) {
  const std::string key = crypto::randomBytes(32);
  Server server({vaultError(500, "internal error"), vaultError(503, "Vault is sealed"),
                 vaultError(429, "request path transit/decrypt: rate limit quota exceeded"),
                 plaintextAnswer(key)});
  Provider p(server);
  EXPECT_EQ(p.unwrap().value(), key);
  EXPECT_EQ(p.stats->retries.load(), 3u);
  EXPECT_EQ(server.received().size(), 4u);
}

TEST(VaultProtocol, PersistentFailureIsUnavailableAfterBoundedRetries) {
  Server server({});  // every answer is a 500
  Provider p(server);
  auto r = p.unwrap();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::unavailable) << r.error().message;
  EXPECT_EQ(server.received().size(), 4u);  // max_attempts
}

TEST(VaultProtocol, AnUnreachableOrSilentServerIsUnavailable) {
  boost::asio::io_context io;
  // Listening but never accepting: connect completes (backlog), no answer ever comes.
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string closed_port;
  {
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = std::to_string(a.local_endpoint().port());
  }
  for (const std::string& port : {closed_port, std::to_string(silent.local_endpoint().port())}) {
    auto c = configFor(port);
    c.max_attempts = 2;
    c.request_timeout = std::chrono::milliseconds(300);
    auto stats = std::make_shared<VaultStats>();
    auto keys = makeVaultKeyProvider(c, stats);
    auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::unavailable) << r.error().message;
    EXPECT_EQ(stats->requests.load(), 2u);
  }
}

// A wrong or expired token, a policy that refuses, a tampered ciphertext or another
// context, a key below min_decryption_version: never retried, Code::internal.
TEST(VaultProtocol, RefusalsAreInternalAndNotRetried) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {vaultError(403, "permission denied"), "permission denied"},
      {vaultError(400, "cipher: message authentication failed"), "authentication failed"},
      {vaultError(400, "ciphertext or signature version is disallowed by policy (too old)"),
       "too old"},
      {vaultError(404, "no handler for route"), "HTTP 404"},
      {vaultError(400, "missing 'context' for key derivation"), "context"},
  };
  for (const auto& [answer, expect] : cases) {
    Server server({answer});
    Provider p(server);
    auto r = p.unwrap();
    ASSERT_FALSE(r) << expect;
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
    EXPECT_EQ(server.received().size(), 1u) << expect << " was retried";
  }
}

TEST(VaultProtocol, HostileAnswersAreInternalAndBounded) {
  const std::string key = crypto::randomBytes(32);
  const std::vector<std::string> answers = {
      ok("not json"),
      ok(R"({"data":{"plaintext":"@@@@"}})"),
      ok(R"({"data":{"plaintext":")" + crypto::base64(key.substr(0, 31)) + R"("}})"),
      ok(R"({"data":{"plaintext":")" + crypto::base64(key + key) + R"("}})"),
      ok(R"({"data":{"plaintext":")" + std::string(100 * 1024, 'A') + R"("}})"),
      Server::reply(200, "OK", std::string(1 << 20, ' ')),
      Server::reply(200, "OK", "{}", "X-Huge: " + std::string(64 * 1024, 'h') + "\r\n"),
  };
  for (const auto& answer : answers) {
    Server server({answer});
    Provider p(server);
    auto r = p.unwrap();
    ASSERT_FALSE(r) << answer.substr(0, 80);
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
    EXPECT_EQ(server.received().size(), 1u) << "a hostile answer was retried";
  }
}

TEST(VaultProtocol, TheTokenNeverAppearsInAnErrorEvenWhenEchoed) {
  for (int status : {403, 500}) {
    Server server({vaultError(status, "bad token " + kToken), vaultError(status, kToken),
                   vaultError(status, kToken), vaultError(status, kToken)});
    Provider p(server);
    auto r = p.unwrap();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find(kToken), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("TopSecret"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("***"), std::string::npos) << r.error().message;
  }
}

TEST(VaultProtocol, BlobsOfOtherProvidersAreRefusedWithoutACall) {
  Server server({});
  Provider p(server);
  for (const auto& [blob, expect] : std::vector<std::pair<std::string, std::string>>{
           {std::string(1, '\x01') + "keyring-blob", "local keyring"},
           {std::string(1, '\x02') + "kms-blob", "KMS"},
           {std::string(1, kWrappedFormat) + "opaque", "Transit"},
           {"", "empty"}}) {
    auto r = await(p.keys->unwrap(blob, "room:1:v1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::internal);
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(server.received().empty());
}

}  // namespace
}  // namespace parley::vault
