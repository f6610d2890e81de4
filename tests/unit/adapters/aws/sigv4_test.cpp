// SigV4 against AWS's published vectors: the sig-v4 test suite ("get-vanilla" and friends,
// credentials AKIDEXAMPLE, 20150830T123600Z, service "service") and the S3 documentation's
// examples (credentials AKIAIOSFODNN7EXAMPLE, 20130524T000000Z, bucket examplebucket).
#include "adapters/aws/sigv4.h"

#include <gtest/gtest.h>

namespace parley::aws {
namespace {

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kSuiteDate = "20150830T123600Z";
constexpr std::string_view kS3Date = "20130524T000000Z";
constexpr std::string_view kS3Host = "examplebucket.s3.amazonaws.com";

SigningRequest suiteRequest(std::string method, std::string uri, Pairs query = {}) {
  return {std::move(method), std::move(uri), std::move(query),
          Pairs{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", std::string(kSuiteDate)}},
          std::string(kEmptySha256)};
}

SigningRequest s3Request(std::string method, std::string uri, Pairs query, Pairs extra,
                         std::string payload_hash = std::string(kEmptySha256)) {
  Pairs headers{{"Host", std::string(kS3Host)},
                {"x-amz-date", std::string(kS3Date)},
                {"x-amz-content-sha256", payload_hash}};
  for (auto& h : extra) headers.push_back(std::move(h));
  return {std::move(method), std::move(uri), std::move(query), std::move(headers),
          std::move(payload_hash)};
}

TEST(SigV4, HashesAndKeyDerivation) {
  EXPECT_EQ(sha256Hex(""), kEmptySha256);
  // The suite's documented signing key for iam on 20150830.
  EXPECT_EQ(hex(signingKey(kSuite.secret_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4, SuiteGetVanilla) {
  const auto r = suiteRequest("GET", "/");
  EXPECT_EQ(canonicalRequest(r),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(authorization(r, kSuite, "us-east-1", "service", kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, SuitePostVanilla) {
  EXPECT_EQ(signature(suiteRequest("POST", "/"), kSuite, "us-east-1", "service", kSuiteDate),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, SuiteQueryIsSortedByKey) {
  const auto r = suiteRequest("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}});
  EXPECT_EQ(canonicalQuery(r.query), "Param1=value1&Param2=value2");
  EXPECT_EQ(signature(r, kSuite, "us-east-1", "service", kSuiteDate),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, SuiteUnreservedCharactersAreNotEncoded) {
  const std::string path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(uriEncode(path, false), path);
  EXPECT_EQ(signature(suiteRequest("GET", path), kSuite, "us-east-1", "service", kSuiteDate),
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(SigV4, S3GetObjectWithRange) {
  const auto r = s3Request("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}});
  const std::string creq = canonicalRequest(r);
  EXPECT_EQ(
      creq,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(stringToSign(kS3Date, credentialScope(kS3Date, "us-east-1", "s3"), creq),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signature(r, kS3Docs, "us-east-1", "s3", kS3Date),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = sha256Hex(body);
  EXPECT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const auto r = s3Request(
      "PUT", "/" + uriEncode("test$file.text", false), {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      hash);
  EXPECT_EQ(r.canonical_uri, "/test%24file.text");
  EXPECT_EQ(signature(r, kS3Docs, "us-east-1", "s3", kS3Date),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycleWithEmptyQueryValue) {
  const auto r = s3Request("GET", "/", {{"lifecycle", ""}}, {});
  EXPECT_EQ(canonicalQuery(r.query), "lifecycle=");
  EXPECT_EQ(signature(r, kS3Docs, "us-east-1", "s3", kS3Date),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjects) {
  const auto r = s3Request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {});
  EXPECT_EQ(canonicalQuery(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(signature(r, kS3Docs, "us-east-1", "s3", kS3Date),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodingAndHeaderCanonicalisation) {
  EXPECT_EQ(uriEncode("a b/c+d=e", false), "a%20b/c%2Bd%3De");
  EXPECT_EQ(uriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(uriEncode("\xe2\x82\xac", true), "%E2%82%AC");
  EXPECT_EQ(canonicalQuery({{"b", "2"}, {"a", "x y"}, {"a!", "'"}}), "a=x%20y&a%21=%27&b=2");
  const SigningRequest r{"GET", "/", {}, {{"My-Header", "  a   b  "}, {"host", "h"}}, "x"};
  EXPECT_EQ(canonicalRequest(r), "GET\n/\n\nhost:h\nmy-header:a b\n\nhost;my-header\nx");
}

}  // namespace
}  // namespace parley::aws
