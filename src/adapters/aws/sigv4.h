// AWS Signature Version 4 (S3, KMS, any AWS API), header-based, single-chunk payloads
// (docs.aws.amazon.com: "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk"). Pure functions over OpenSSL's SHA-256 and HMAC; thread-safe.
//
// Tested byte for byte against AWS's published examples (tests/unit/adapters/aws/sigv4_test.cpp):
// the sig-v4 test suite vectors and the S3 GET/PUT/list/lifecycle examples.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::aws {

using Pairs = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Credentials {
  std::string access_key;
  std::string secret_key;
};

// What is signed: the canonical URI is already URI-encoded (S3 encodes each key segment
// once, '/' kept); query pairs are raw (decoded) and encoded here; header names may be in
// any case, and every header given is signed.
struct SigningRequest {
  std::string method;
  std::string canonical_uri;
  Pairs query;
  Pairs headers;
  std::string payload_hash;  // lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

std::string sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string hmacSha256(std::string_view key, std::string_view data);
std::string hex(std::string_view bytes);

// RFC 3986 unreserved characters kept, everything else %XX (upper case); '/' kept unless
// encode_slash.
std::string uriEncode(std::string_view s, bool encode_slash);

std::string canonicalQuery(const Pairs& query);
// "host;x-amz-date": lower-case names, sorted, ';'-joined.
std::string signedHeaders(const Pairs& headers);
std::string canonicalRequest(const SigningRequest& r);
// amz_date is "YYYYMMDDTHHMMSSZ"; scope is "<date>/<region>/<service>/aws4_request".
std::string credentialScope(std::string_view amz_date, std::string_view region,
                            std::string_view service);
std::string stringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// Lower-case hex signature of `r` at `amz_date`.
std::string signature(const SigningRequest& r, const Credentials& c, std::string_view region,
                      std::string_view service, std::string_view amz_date);
// The Authorization header value: "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...".
std::string authorization(const SigningRequest& r, const Credentials& c, std::string_view region,
                          std::string_view service, std::string_view amz_date);

}  // namespace parley::aws
