// Retries and error mapping of the S3 adapter against a scripted HTTP server on a free
// loopback port (support/scripted_http_server.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/s3/s3_blob_store.h"
#include "support/await.h"
#include "support/scripted_http_server.h"

namespace parley::s3 {
namespace {

using ::parley::testing::await;

using ScriptedServer = ::parley::testing::ScriptedHttpServer;

std::string reply(int status, const std::string& reason, const std::string& body,
                  const std::string& extra = "") {
  return ScriptedServer::reply(status, reason, body, extra);
}

std::string s3ErrorBody(const std::string& code) {
  return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>m</Message></Error>";
}

S3Config configFor(const ScriptedServer& server) {
  S3Config c;
  c.credentials = {"AKIDTEST", "secret"};
  c.host = "127.0.0.1";
  c.port = server.port();
  c.bucket = "bucket";
  c.backoff_initial = std::chrono::milliseconds(1);
  c.backoff_max = std::chrono::milliseconds(4);
  return c;
}

TEST(S3Retry, ServerErrorsAndThrottlingAreRetried) {
  ScriptedServer server({reply(503, "Slow Down", s3ErrorBody("SlowDown")),
                         reply(500, "Internal Server Error", s3ErrorBody("InternalError")),
                         reply(400, "Bad Request", s3ErrorBody("RequestTimeout")),
                         reply(206, "Partial Content", "abc")});
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(configFor(server), stats);
  auto got = await(store->read("files/k", 0, 3));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "abc");
  EXPECT_EQ(stats->retries.load(), 3u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].rfind("GET /bucket/files/k HTTP/1.1", 0), 0u) << requests[0];
  EXPECT_NE(requests[0].find("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), std::string::npos);
  EXPECT_NE(requests[0].find("/us-east-1/s3/aws4_request"), std::string::npos);
}

TEST(S3Retry, StatReadsSizeAndLastModified) {
  ScriptedServer server(
      {"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n"
       "Last-Modified: Fri, 24 May 2013 00:00:00 GMT\r\n\r\n"});
  auto store = makeS3BlobStore(configFor(server));
  auto got = await(store->stat("files/k"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->size, 42u);
  EXPECT_EQ(got->modified_ms, 1369353600000);
  EXPECT_EQ(server.requests().at(0).rfind("HEAD /bucket/files/k HTTP/1.1", 0), 0u);
}

TEST(S3Retry, GivesUpAfterMaxAttemptsWithUnavailable) {
  ScriptedServer server({});  // every answer is a 500
  auto stats = std::make_shared<S3Stats>();
  S3Config c = configFor(server);
  c.max_attempts = 3;
  auto store = makeS3BlobStore(c, stats);
  auto got = await(store->read("k", 0, 10));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::unavailable);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3Retry, ClientErrorsAreNotRetried) {
  ScriptedServer server({reply(403, "Forbidden", s3ErrorBody("SignatureDoesNotMatch"))});
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(configFor(server), stats);
  auto got = await(store->read("k", 0, 10));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::internal);
  EXPECT_NE(got.error().message.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(stats->retries.load(), 0u);
}

TEST(S3Retry, NoSuchKeyIsNotFoundButNoSuchBucketIsAnError) {
  ScriptedServer server({reply(404, "Not Found", s3ErrorBody("NoSuchKey")),
                         reply(404, "Not Found", s3ErrorBody("NoSuchBucket"))});
  auto store = makeS3BlobStore(configFor(server));
  auto missing = await(store->read("k", 0, 10));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
  auto no_bucket = await(store->read("k", 0, 10));
  ASSERT_FALSE(no_bucket);
  EXPECT_EQ(no_bucket.error().code, Code::internal);
}

TEST(S3Retry, ARangeIsAskedForAndAnIgnoredRangeIsCutOut) {
  ScriptedServer server({reply(206, "Partial Content", "cde"), reply(200, "OK", "abcdefgh")});
  auto store = makeS3BlobStore(configFor(server));
  auto ranged = await(store->read("k", 2, 3));
  ASSERT_TRUE(ranged);
  EXPECT_EQ(*ranged, "cde");
  auto whole = await(store->read("k", 2, 3));
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, "cde");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("bytes=2-4"), std::string::npos) << requests[0];
}

}  // namespace
}  // namespace parley::s3
