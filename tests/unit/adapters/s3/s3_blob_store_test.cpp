#include "adapters/s3/s3_blob_store.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include "ports/blob_store_contract.h"
#include "s3_test_env.h"

namespace parley::s3 {
namespace {

using blob_contract::await;

blob_contract::BlobStoreFactory s3Factory() {
  return {"S3", []() -> BlobStorePtr {
            auto c = test::testConfig();
            if (!c) return nullptr;
            return makeS3BlobStore(*c);
          }};
}

// The whole contract again over HTTPS (verified against the throwaway test CA).
blob_contract::BlobStoreFactory s3TlsFactory() {
  return {"S3_HTTPS", []() -> BlobStorePtr {
            auto c = test::tlsTestConfig();
            if (!c) return nullptr;
            return makeS3BlobStore(*c);
          }};
}

using blob_contract::BlobStoreContract;
INSTANTIATE_TEST_SUITE_P(S3, BlobStoreContract, ::testing::Values(s3Factory(), s3TlsFactory()),
                         [](const auto& info) { return info.param.name; });

std::string uniqueKey(const std::string& name) {
  return "s3-test-" + crypto::toHex(crypto::randomBytes(6)) + "/" + name;
}

TEST(S3BlobStore, TheServerRejectsAWrongSecret) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  const std::string key = uniqueKey("signed");
  auto good = makeS3BlobStore(*c);
  StringBlobSource src("only for the right key");
  ASSERT_TRUE(await(good->put(key, src)));

  S3Config wrong = *c;
  wrong.credentials.secret_key += "x";
  auto bad = makeS3BlobStore(wrong);
  auto got = await(bad->read(key, 0, 100));
  ASSERT_FALSE(got) << "the test server accepted a request signed with the wrong secret";
  EXPECT_EQ(got.error().code, Code::internal);
  EXPECT_NE(got.error().message.find("SignatureDoesNotMatch"), std::string::npos)
      << got.error().message;
  StringBlobSource src2("forged");
  auto put = await(bad->put(key, src2));
  ASSERT_FALSE(put);
  auto still = await(good->read(key, 0, 100));
  ASSERT_TRUE(still);
  EXPECT_EQ(*still, "only for the right key");
}

// Virtual-hosted addressing (Host: BUCKET.HOST:PORT, path /KEY) against the same verifying
// server: moto takes the bucket from the Host name when it is not an IP or "localhost".
TEST(S3BlobStore, VirtualHostedAddressingIsSignedAndServed) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  S3Config virt = *c;
  virt.path_style = false;
  virt.connect_address = c->host;
  virt.host = "s3.parley.test";
  auto store = makeS3BlobStore(virt);
  const std::string key = uniqueKey("virtual");
  StringBlobSource src("addressed by host name");
  auto put = await(store->put(key, src));
  ASSERT_TRUE(put) << put.error().message;
  // The path-style store sees the same object in the same bucket.
  auto path_store = makeS3BlobStore(*c);
  auto got = await(path_store->read(key, 0, 100));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "addressed by host name");
  auto listed = await(store->listOlderThan(key, blob_contract::nowMs() + 3600000, 10, ""));
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().key, key);
}

TEST(S3BlobStore, LargeObjectsUseMultipartAndSmallOnesDoNot) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  StringBlobSource small(std::string(1000, 's'));
  ASSERT_TRUE(await(store->put(uniqueKey("small"), small)));
  EXPECT_EQ(stats->multipart_uploads.load(), 0u);
  const std::string big = blob_contract::pattern(c->part_bytes * 2 + 10);
  StringBlobSource large(big, 1 << 20);
  const std::string key = uniqueKey("big");
  auto info = await(store->put(key, large));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(stats->multipart_uploads.load(), 1u);
  auto st = await(store->stat(key));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, big.size());
}

TEST(S3BlobStore, AFailedMultipartUploadIsAborted) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  // More than one part, then the source fails.
  blob_contract::FailingSource src(std::string(c->part_bytes + 1, 'p'));
  const std::string key = uniqueKey("aborted");
  EXPECT_FALSE(await(store->put(key, src)));
  EXPECT_EQ(stats->aborted_uploads.load(), 1u);
  auto st = await(store->stat(key));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::not_found);
}

TEST(S3BlobStore, UnreachableEndpointIsUnavailableAfterRetries) {
  auto c = test::testConfig();
  ASSERT_TRUE(c);
  // A port just released by the kernel: nothing listens there.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  c->port = std::to_string(a.local_endpoint().port());
  a.close();
  c->backoff_initial = std::chrono::milliseconds(1);
  c->backoff_max = std::chrono::milliseconds(2);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  auto got = await(store->stat("k"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::unavailable);
  EXPECT_EQ(stats->requests.load(), static_cast<std::uint64_t>(c->max_attempts));
  EXPECT_EQ(stats->retries.load(), static_cast<std::uint64_t>(c->max_attempts - 1));
}

}  // namespace
}  // namespace parley::s3

namespace parley::s3 {
namespace {

using blob_contract::await;

std::string uniqueTlsKey(const std::string& name) {
  return "s3-tls-" + crypto::toHex(crypto::randomBytes(6)) + "/" + name;
}

// Expects `r` to be the refusal of the server's certificate: not retried, no request sent.
template <class T>
void expectCertificateRefused(const Result<T>& r, const S3Stats& stats, const char* why) {
  ASSERT_FALSE(r) << "the store accepted a server it must refuse";
  EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  EXPECT_EQ(stats.retries.load(), 0u) << "a refused certificate is not retried";
}

TEST(S3Https, AServerTheSystemDoesNotTrustIsRefused) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  c->ca_file.clear();  // the system's trust store: it does not hold the throwaway CA
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  StringBlobSource src("must not leave the process");
  expectCertificateRefused(await(store->put(uniqueTlsKey("untrusted"), src)), *stats,
                           "local issuer");
}

TEST(S3Https, AnotherCaIsNotTrustedEither) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  // A real CA bundle that is not the one that issued the server's certificate.
  c->ca_file = "/etc/ssl/certs/ca-certificates.crt";
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  expectCertificateRefused(await(store->stat("k")), *stats, "local issuer");
}

TEST(S3Https, AHostNameTheCertificateDoesNotCarryIsRefused) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  // Same server, same trusted CA, but asked for under a name its certificate lacks.
  S3Config wrong = *c;
  wrong.connect_address = c->host;
  wrong.host = "s3.other.test";
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(wrong, stats);
  expectCertificateRefused(await(store->stat("k")), *stats, "hostname mismatch");
  // A wildcard covers one label only: *.s3.parley.test does not cover x.deep.s3.parley.test.
  wrong.host = "deep.s3.parley.test";
  wrong.path_style = false;  // BUCKET.deep.s3.parley.test
  auto stats2 = std::make_shared<S3Stats>();
  auto store2 = makeS3BlobStore(wrong, stats2);
  expectCertificateRefused(await(store2->stat("k")), *stats2, "hostname mismatch");
}

TEST(S3Https, VirtualHostedNamesAreVerifiedAgainstTheWildcard) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  S3Config virt = *c;
  virt.path_style = false;
  virt.connect_address = c->host;
  virt.host = "s3.parley.test";  // BUCKET.s3.parley.test matches *.s3.parley.test
  auto store = makeS3BlobStore(virt);
  const std::string key = uniqueTlsKey("virtual");
  StringBlobSource src("over https, by name");
  auto put = await(store->put(key, src));
  ASSERT_TRUE(put) << put.error().message;
  auto got = await(makeS3BlobStore(*c)->read(key, 0, 100));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "over https, by name");
}

// HAProxy keeps client connections alive: one TLS connection carries every request.
TEST(S3Https, ConnectionsAreReused) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(*c, stats);
  const std::string key = uniqueTlsKey("reused");
  StringBlobSource src("kept alive");
  ASSERT_TRUE(await(store->put(key, src)));
  for (int i = 0; i < 10; ++i) {
    auto got = await(store->read(key, 0, 100));  // each on a fresh caller io_context
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, "kept alive");
  }
  EXPECT_EQ(stats->requests.load(), 11u);
  EXPECT_EQ(stats->connections_opened.load(), 1u);
}

TEST(S3Https, PlainHttpToTheTlsPortFails) {
  auto c = test::tlsTestConfig();
  ASSERT_TRUE(c);
  c->tls = false;
  c->max_attempts = 1;
  auto got = await(makeS3BlobStore(*c)->stat("k"));
  ASSERT_FALSE(got);
}

}  // namespace
}  // namespace parley::s3
