// What the KMS adapter sends and how it maps answers, against a scripted HTTP server on a
// free loopback port (support/scripted_http_server.h): signing, the context in each call,
// bounded retries, and the port's error codes for every refusal KMS documents.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "adapters/kms/kms_key_provider.h"
#include "crypto/random.h"
#include "support/await.h"
#include "support/scripted_http_server.h"

namespace parley::kms {
namespace {

using ::parley::testing::await;
using Server = ::parley::testing::ScriptedHttpServer;

std::string ok(const std::string& json) { return Server::reply(200, "OK", json); }

std::string kmsError(int status, const std::string& type, const std::string& message = "m") {
  return Server::reply(status, "Error",
                       R"({"__type":")" + type + R"(","message":")" + message + R"("})");
}

KmsConfig configFor(const std::string& port) {
  KmsConfig c;
  c.credentials = {"AKIDTEST", "TopSecretKmsValue"};
  c.host = "127.0.0.1";
  c.port = port;
  c.key_id = "alias/parley";
  c.region = "eu-west-3";
  c.backoff_initial = std::chrono::milliseconds(1);
  c.backoff_max = std::chrono::milliseconds(4);
  return c;
}

struct Provider {
  std::shared_ptr<KmsStats> stats = std::make_shared<KmsStats>();
  KeyProviderPtr keys;
  explicit Provider(const Server& s) : keys(makeKmsKeyProvider(configFor(s.port()), stats)) {}
};

TEST(KmsProtocol, EncryptIsASignedJsonCallThatBindsTheContext) {
  Server server({ok(R"({"CiphertextBlob":")" + crypto::base64("opaque-blob") +
                    R"(","KeyId":"arn:aws:kms:eu-west-3:1:key/k"})")});
  Provider p(server);
  const std::string key = crypto::randomBytes(32);
  auto wrapped = await(p.keys->wrap(key, "room:42:v1"));
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  EXPECT_EQ(*wrapped, std::string(1, kWrappedFormat) + "opaque-blob");

  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  const std::string& head = got[0].head;
  EXPECT_EQ(head.rfind("POST / HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("X-Amz-Target: TrentService.Encrypt\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: application/x-amz-json-1.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Host: 127.0.0.1:" + server.port() + "\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), std::string::npos) << head;
  EXPECT_NE(head.find("/eu-west-3/kms/aws4_request"), std::string::npos) << head;
  EXPECT_NE(head.find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
            std::string::npos)
      << head;
  EXPECT_EQ(head.find("TopSecretKmsValue"), std::string::npos);
  auto body = boost::json::parse(got[0].body);
  EXPECT_EQ(body.at("KeyId").as_string(), "alias/parley");
  EXPECT_EQ(body.at("EncryptionContext").at("parley").as_string(), "room:42:v1");
  EXPECT_EQ(crypto::fromBase64(std::string_view(body.at("Plaintext").as_string())).value(), key);
}

TEST(KmsProtocol, DecryptSendsTheCiphertextAndTheSameContext) {
  const std::string key = crypto::randomBytes(32);
  Server server({ok(R"({"Plaintext":")" + crypto::base64(key) + R"(","KeyId":"arn"})")});
  Provider p(server);
  std::string wrapped = std::string(1, kWrappedFormat) + "opaque-blob";
  auto got = await(p.keys->unwrap(wrapped, "room:42:v1"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, key);
  const auto req = server.received().at(0);
  EXPECT_NE(req.head.find("X-Amz-Target: TrentService.Decrypt\r\n"), std::string::npos);
  auto body = boost::json::parse(req.body);
  EXPECT_EQ(crypto::fromBase64(std::string_view(body.at("CiphertextBlob").as_string())).value(),
            "opaque-blob");
  EXPECT_EQ(body.at("EncryptionContext").at("parley").as_string(), "room:42:v1");
}

TEST(KmsProtocol, ServerErrorsAndThrottlingAreRetried) {
  const std::string key = crypto::randomBytes(32);
  Server server({kmsError(500, "KMSInternalException"), kmsError(400, "ThrottlingException"),
                 Server::reply(503, "Service Unavailable", ""),
                 ok(R"({"Plaintext":")" + crypto::base64(key) + R"("})")});
  Provider p(server);
  std::string wrapped = std::string(1, kWrappedFormat) + "blob";
  auto got = await(p.keys->unwrap(wrapped, "room:1:v1"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, key);
  EXPECT_EQ(p.stats->retries.load(), 3u);
  EXPECT_EQ(server.received().size(), 4u);
}

TEST(KmsProtocol, PersistentFailureIsUnavailableAfterBoundedRetries) {
  Server server({});  // every answer is a 500
  Provider p(server);
  auto r = await(p.keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::unavailable) << r.error().message;
  EXPECT_EQ(server.received().size(), 4u);  // max_attempts
  EXPECT_EQ(r.error().message.find("TopSecretKmsValue"), std::string::npos);
}

TEST(KmsProtocol, AnUnreachableEndpointIsUnavailable) {
  std::string port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = std::to_string(a.local_endpoint().port());
  }  // closed: nothing listens there now
  auto c = configFor(port);
  c.max_attempts = 2;
  auto keys = makeKmsKeyProvider(c);
  auto r = await(keys->wrap(crypto::randomBytes(32), "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::unavailable) << r.error().message;
}

// What AWS KMS answers when the key was disabled, is pending deletion (the way to destroy
// one), the blob or context is wrong, or the caller is not allowed: never retried, and
// Code::internal, so a room's content stays unreadable rather than getting a new key.
TEST(KmsProtocol, RefusalsAreInternalAndNotRetried) {
  struct Case {
    std::string answer;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {kmsError(400, "DisabledException", "arn:aws:kms:eu-west-3:1:key/k is disabled."),
       "DisabledException"},
      {kmsError(400, "KMSInvalidStateException",
                "arn:aws:kms:eu-west-3:1:key/k is pending deletion."),
       "KMSInvalidStateException"},
      {kmsError(400, "InvalidCiphertextException"), "InvalidCiphertextException"},
      {kmsError(400, "IncorrectKeyException"), "IncorrectKeyException"},
      {kmsError(400, "AccessDeniedException"), "AccessDeniedException"},
      {kmsError(400, "NotFoundException"), "NotFoundException"},
      {Server::reply(400, "Bad Request", "{}",
                     "x-amzn-ErrorType: UnrecognizedClientException:http://internal/\r\n"),
       "UnrecognizedClientException"},
      {kmsError(400, "InvalidSignatureException"), "InvalidSignatureException"},
  };
  for (const auto& c : cases) {
    Server server({c.answer});
    Provider p(server);
    std::string wrapped = std::string(1, kWrappedFormat) + "blob";
    auto r = await(p.keys->unwrap(wrapped, "room:1:v1"));
    ASSERT_FALSE(r) << c.expect;
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_EQ(server.received().size(), 1u) << c.expect << " was retried";
  }
}

TEST(KmsProtocol, MalformedAnswersAreInternal) {
  for (const std::string& answer :
       {ok("not json"), ok(R"({"Plaintext":"!!"})"), ok(R"({"KeyId":"arn"})"),
        ok(R"({"Plaintext":")" + crypto::base64(std::string(16, 'k')) + R"("})")}) {
    Server server({answer});
    Provider p(server);
    std::string wrapped = std::string(1, kWrappedFormat) + "blob";
    auto r = await(p.keys->unwrap(wrapped, "room:1:v1"));
    ASSERT_FALSE(r) << answer;
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  }
}

TEST(KmsProtocol, ABlobOfTheLocalKeyringIsRefusedWithoutACall) {
  Server server({});
  Provider p(server);
  std::string keyring_blob = std::string(1, '\x01') + "keyid-and-the-rest";
  auto r = await(p.keys->unwrap(keyring_blob, "room:1:v1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::internal);
  EXPECT_NE(r.error().message.find("local keyring"), std::string::npos) << r.error().message;
  EXPECT_TRUE(server.received().empty());
}

}  // namespace
}  // namespace parley::kms
