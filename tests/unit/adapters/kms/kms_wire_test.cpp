// The KMS URL, request bodies and answer parsing: pure functions, no server.
#include "adapters/kms/kms_wire.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "adapters/kms/kms_config.h"
#include "crypto/random.h"

namespace parley::kms {
namespace {

namespace json = boost::json;

TEST(KmsUrl, ParsesEveryPart) {
  auto c = parseKmsUrl(
      "kms+https://AKID:se%2Fcr%2Bet@kms.eu-west-1.amazonaws.com/alias%2Fparley?region=eu-west-1");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->credentials.access_key, "AKID");
  EXPECT_EQ(c->credentials.secret_key, "se/cr+et");
  EXPECT_EQ(c->host, "kms.eu-west-1.amazonaws.com");
  EXPECT_EQ(c->port, "443");
  EXPECT_TRUE(c->tls);
  EXPECT_EQ(c->key_id, "alias/parley");
  EXPECT_EQ(c->region, "eu-west-1");

  auto plain = parseKmsUrl("kms+http://a:b@127.0.0.1:4599/1234abcd-12ab-34cd-56ef-1234567890ab");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, "4599");
  EXPECT_EQ(plain->region, "us-east-1");
  EXPECT_EQ(plain->key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");

  // An ARN keeps its ':' and '/', written plainly in the path.
  auto arn = parseKmsUrl(
      "kms+https://a:b@kms.us-east-2.amazonaws.com/"
      "arn:aws:kms:us-east-2:111122223333:key/1234abcd?region=us-east-2");
  ASSERT_TRUE(arn) << arn.error().message;
  EXPECT_EQ(arn->key_id, "arn:aws:kms:us-east-2:111122223333:key/1234abcd");

  auto ca = parseKmsUrl("kms+https://a:b@h:8443/k?ca=%2Fetc%2Fssl%2Fcerts%2Fca-certificates.crt");
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ(ca->ca_file, "/etc/ssl/certs/ca-certificates.crt");
}

TEST(KmsUrl, RefusesWhatIsNotTheDocumentedFormWithoutShowingTheSecret) {
  for (const char* bad : {
           "",
           "kms://a:b@h/k",                         // no transport named
           "s3://a:b@h/bucket",                     // another adapter's URL
           "kms+https://h/k",                       // no credentials
           "kms+https://a@h/k",                     // no secret
           "kms+https://a:b@/k",                    // no host
           "kms+https://a:b@h:0/k",                 // port out of range
           "kms+https://a:b@h:70000/k",             //
           "kms+https://a:b@h:/k",                  // empty port
           "kms+https://a:b@h",                     // no key
           "kms+https://a:b@h/",                    //
           "kms+https://a:b@h/key%20id",            // space in the key id
           "kms+https://a:b@h/k?region=",           // empty region
           "kms+https://a:b@h/k?style=path",        // unknown parameter
           "kms+http://a:b@h/k?ca=%2Fetc%2Fhosts",  // ca= without TLS
           "kms+https://a:b@h/k?ca=%2Fnonexistent%2Fca.pem",
           "kms+https://a:b@h/k#frag",
       }) {
    auto c = parseKmsUrl(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, Code::bad_request) << bad;
    EXPECT_EQ(c.error().message.rfind("kms url: ", 0), 0u) << c.error().message;
  }
  auto c = parseKmsUrl("kms+https://AKID:TopSecretValue@h/k?bogus=1");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.find("TopSecretValue"), std::string::npos) << c.error().message;
}

TEST(KmsUrl, RecognisedAndRedacted) {
  EXPECT_TRUE(isKmsUrl("kms+https://a:b@h/k"));
  EXPECT_TRUE(isKmsUrl("kms+http://a:b@h/k"));
  EXPECT_FALSE(isKmsUrl("/var/lib/parley/keyring.json"));
  EXPECT_FALSE(isKmsUrl("kms-keyring.json"));
  const std::string r = redactedKmsUrl("kms+https://AKID:TopSecret%2Fx@h:1/alias%2Fp?region=r");
  EXPECT_EQ(r.find("TopSecret"), std::string::npos) << r;
  EXPECT_NE(r.find("AKID:***@h:1/"), std::string::npos) << r;
}

TEST(KmsWire, EncryptAndDecryptBodiesBindTheContext) {
  const std::string key = crypto::randomBytes(32);
  json::value e = json::parse(encryptRequest("alias/parley", key, "parley/room-key/v1|42|1"));
  EXPECT_EQ(e.at("KeyId").as_string(), "alias/parley");
  EXPECT_EQ(crypto::fromBase64(std::string_view(e.at("Plaintext").as_string())).value(), key);
  EXPECT_EQ(e.at("EncryptionContext").as_object().size(), 1u);
  EXPECT_EQ(e.at("EncryptionContext").at("parley").as_string(), "parley/room-key/v1|42|1");

  json::value d = json::parse(decryptRequest(std::string("\x00\xffz", 3), "c\"x"));
  EXPECT_EQ(crypto::fromBase64(std::string_view(d.at("CiphertextBlob").as_string())).value(),
            std::string("\x00\xffz", 3));
  EXPECT_EQ(d.at("EncryptionContext").at("parley").as_string(), "c\"x");
  EXPECT_FALSE(d.as_object().contains("KeyId"));
}

TEST(KmsWire, ResponseBlobIsStrict) {
  EXPECT_EQ(responseBlob(R"({"Plaintext":"Zm9v","KeyId":"arn"})", "Plaintext").value(), "foo");
  for (const char* bad : {"", "null", "[]", "{", R"({"Plaintext":3})", R"({"Other":"Zm9v"})",
                          R"({"Plaintext":"Zm9"})", R"({"Plaintext":"Zm9v!"})"}) {
    auto r = responseBlob(bad, "Plaintext");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::internal);
  }
}

TEST(KmsWire, ErrorsAreReadFromBodyOrHeader) {
  auto e = parseError(R"({"__type":"DisabledException","message":"key is disabled"})", "");
  EXPECT_EQ(e.type, "DisabledException");
  EXPECT_EQ(e.message, "key is disabled");
  e = parseError(R"({"__type":"com.amazonaws.kms#KMSInvalidStateException","Message":"m"})", "");
  EXPECT_EQ(e.type, "KMSInvalidStateException");
  EXPECT_EQ(e.message, "m");
  e = parseError("<html>gateway</html>", "UnrecognizedClientException:http://internal.amazon.com/");
  EXPECT_EQ(e.type, "UnrecognizedClientException");
  e = parseError(
      "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>"
      "bad sig</Message></Error></Errors></ErrorResponse>",
      "");
  EXPECT_EQ(e.type, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "bad sig");
  e = parseError("", "");
  EXPECT_EQ(e.type, "");
}

TEST(KmsWire, OnlyTransientErrorsAreRetryable) {
  EXPECT_TRUE(retryable(500, "KMSInternalException"));
  EXPECT_TRUE(retryable(503, ""));
  EXPECT_TRUE(retryable(429, ""));
  EXPECT_TRUE(retryable(400, "ThrottlingException"));
  EXPECT_TRUE(retryable(400, "DependencyTimeoutException"));
  for (const char* t :
       {"InvalidCiphertextException", "DisabledException", "KMSInvalidStateException",
        "AccessDeniedException", "NotFoundException", "IncorrectKeyException",
        "UnrecognizedClientException", "InvalidSignatureException", "ValidationException"}) {
    EXPECT_FALSE(retryable(400, t)) << t;
  }
}

}  // namespace
}  // namespace parley::kms
