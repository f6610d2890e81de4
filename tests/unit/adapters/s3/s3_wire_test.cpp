#include "adapters/s3/s3_wire.h"

#include <gtest/gtest.h>

#include "adapters/s3/s3_config.h"

namespace parley::s3 {
namespace {

TEST(S3Config, ParsesTheDocumentedForm) {
  auto c = parseS3Url(
      "s3://AKIA:se%2Fcr%2Bet@minio.local:9000/"
      "my-bucket?region=eu-west-1&style=virtual&part_mib=16");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->credentials.access_key, "AKIA");
  EXPECT_EQ(c->credentials.secret_key, "se/cr+et");
  EXPECT_EQ(c->host, "minio.local");
  EXPECT_EQ(c->port, "9000");
  EXPECT_EQ(c->bucket, "my-bucket");
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->part_bytes, 16u * 1024 * 1024);
}

TEST(S3Config, Defaults) {
  auto c = parseS3Url("s3://a:b@127.0.0.1/bucket");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->port, "80");
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_TRUE(c->path_style);
  EXPECT_EQ(c->part_bytes, 8u * 1024 * 1024);
}

TEST(S3Config, HttpsSchemeAndCaFile) {
  auto c = parseS3Url("s3+https://a:b@s3.eu-west-1.amazonaws.com/bucket?region=eu-west-1");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->tls);
  EXPECT_EQ(c->port, "443");
  EXPECT_TRUE(c->ca_file.empty());
  auto plain = parseS3Url("s3+http://a:b@h:9000/bucket");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls);
  auto ca =
      parseS3Url("s3+https://a:b@h:8443/bucket?ca=%2Fetc%2Fssl%2Fcerts%2Fca-certificates.crt");
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ(ca->ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(ca->port, "8443");
}

TEST(S3Config, RefusesACaFileItCannotUse) {
  for (const char* bad : {"s3+https://a:b@h/bucket?ca=%2Fnonexistent%2Fca.pem",
                          "s3+https://a:b@h/bucket?ca=%2Fetc%2Fhostname",  // not PEM
                          "s3+https://a:b@h/bucket?ca=%2Fdev%2Fzero",      // never ends
                          "s3+https://a:b@h/bucket?ca=%2Fetc%2Fssl",       // a directory
                          "s3+https://a:b@h/bucket?ca=",
                          "s3://a:b@h/bucket?ca=%2Fetc%2Fssl%2Fcerts%2Fca-certificates.crt"}) {
    auto c = parseS3Url(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, Code::bad_request) << bad;
  }
}

TEST(S3Config, RefusesWhatItCannotUse) {
  for (const char* bad :
       {"http://a:b@h/bucket", "https://a:b@h/bucket", "s3+ftp://a:b@h/bucket", "s3://h/bucket",
        "s3://a@h/bucket", "s3://a:b@h/", "s3://a:b@h/Bad_Bucket", "s3://a:b@h/b/c/d",
        "s3://a:b@h/bucket?style=odd", "s3://a:b@h/bucket?part_mib=4",
        "s3://a:b@h/bucket?colour=red", "not a url",
        // found by fuzz/s3_url: an empty port and a rootless path were accepted
        "s3://minio:secret@12nio:secr.aetm", "s3://a:b@h:/bucket", "s3://a:b@h:0/bucket",
        "s3://a:b@h:65536/bucket", "s3://a:b@h:-1/bucket", "s3://a:b@h"}) {
    auto c = parseS3Url(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, Code::bad_request) << bad;
  }
}

TEST(S3Wire, TheSchemesDefaultPortIsLeftOutOfHost) {
  S3Config c;
  c.host = "s3.example.com";
  c.bucket = "b1";
  c.tls = true;
  c.port = "443";
  EXPECT_EQ(addressFor(c, "k").host_header, "s3.example.com");
  c.port = "80";
  EXPECT_EQ(addressFor(c, "k").host_header, "s3.example.com:80");
  c.tls = false;
  EXPECT_EQ(addressFor(c, "k").host_header, "s3.example.com");
  // The certificate is checked against the endpoint's name even when connecting elsewhere.
  c.connect_address = "10.0.0.5";
  EXPECT_EQ(addressFor(c, "k").connect_host, "10.0.0.5");
  EXPECT_EQ(addressFor(c, "k").tls_name, "s3.example.com");
}

TEST(S3Wire, PathAndVirtualHostedAddressing) {
  S3Config c;
  c.host = "s3.example.com";
  c.port = "9000";
  c.bucket = "b1";
  auto a = addressFor(c, "files/x y");
  EXPECT_EQ(a.connect_host, "s3.example.com");
  EXPECT_EQ(a.host_header, "s3.example.com:9000");
  EXPECT_EQ(a.path, "/b1/files/x%20y");
  EXPECT_EQ(addressFor(c, "").path, "/b1");

  EXPECT_EQ(a.tls_name, "s3.example.com");

  c.path_style = false;
  c.port = "80";
  a = addressFor(c, "files/k");
  EXPECT_EQ(a.tls_name, "b1.s3.example.com");
  EXPECT_EQ(a.connect_host, "b1.s3.example.com");
  EXPECT_EQ(a.host_header, "b1.s3.example.com");
  EXPECT_EQ(a.path, "/files/k");
  EXPECT_EQ(addressFor(c, "").path, "/");

  c.connect_address = "127.0.0.1";
  a = addressFor(c, "files/k");
  EXPECT_EQ(a.connect_host, "127.0.0.1");
  EXPECT_EQ(a.host_header, "b1.s3.example.com");
}

TEST(S3Wire, ReadsTheXmlItNeeds) {
  const std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b</Key><Size>3</Size></Contents>"
      "<Contents><Key>c&#47;d&#x41;</Key><Size>4</Size></Contents>"
      "<NextContinuationToken>t/1</NextContinuationToken></ListBucketResult>";
  auto contents = xmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(xmlFirst(contents[0], "Key"), "a&b");
  EXPECT_EQ(xmlFirst(contents[1], "Key"), "c/dA");
  EXPECT_EQ(xmlFirst(xml, "IsTruncated"), "true");
  EXPECT_EQ(xmlFirst(xml, "Missing"), std::nullopt);
  EXPECT_EQ(xmlEscape("\"e\"&<>"), "&quot;e&quot;&amp;&lt;&gt;");
}

TEST(S3Wire, Timestamps) {
  EXPECT_EQ(parseIso8601Ms("2013-05-24T00:00:00.123Z"), 1369353600123);
  EXPECT_EQ(parseIso8601Ms("2013-05-24T00:00:00Z"), 1369353600000);
  EXPECT_EQ(parseHttpDateMs("Fri, 24 May 2013 00:00:00 GMT"), 1369353600000);
  EXPECT_EQ(parseIso8601Ms("yesterday"), std::nullopt);
  EXPECT_EQ(parseHttpDateMs("Fri, 24 Foo 2013 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(amzDate(1369353600000), "20130524T000000Z");
}

}  // namespace
}  // namespace parley::s3
