// Configuration of the S3 BlobStore, usually from the `--blobs` URL:
//
//   s3+https://ACCESS_KEY:SECRET_KEY@HOST[:PORT]/BUCKET[?region=REGION]
//        [&style=path|virtual][&part_mib=N][&ca=/path/to/ca.pem]
//   s3://ACCESS_KEY:SECRET_KEY@HOST[:PORT]/BUCKET[?...]       (plain HTTP; s3+http:// too)
//
// - ACCESS_KEY and SECRET_KEY are percent-encoded (a secret's '/' is written %2F, '+' %2B).
// - HOST:PORT is the endpoint. s3+https:// reaches it over TLS (port 443 by default), the
//   certificate verified against the system's trust store and its name against HOST (or
//   BUCKET.HOST with style=virtual); ca= (percent-encoded path of a PEM file) trusts the CAs
//   in that file instead, e.g. a private CA for a self-hosted server. s3:// and s3+http://
//   speak plain HTTP (port 80 by default): only for loopback or a trusted network.
// - region defaults to us-east-1 (it is part of the SigV4 scope).
// - style=path (the default) sends http://HOST:PORT/BUCKET/KEY; style=virtual sends
//   http://BUCKET.HOST:PORT/KEY (virtual-hosted addressing, the form AWS prefers).
// - part_mib (5..1024, default 8) is the multipart part size: objects up to one part are
//   sent in a single PUT, larger ones as a multipart upload of such parts.
//
// Examples: s3+https://AKIA...:wJal%2FrXU...@s3.eu-west-1.amazonaws.com/parley?region=eu-west-1
//           s3://minio:secret@127.0.0.1:9000/parley
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/aws/sigv4.h"
#include "core/error.h"

namespace parley::s3 {

// SigV4, TLS and the HTTP client are shared with the KMS adapter (adapters/aws).
using aws::Credentials;
using aws::Pairs;

struct S3Config {
  Credentials credentials;
  std::string host;
  std::string port = "80";
  std::string bucket;
  std::string region = "us-east-1";
  bool path_style = true;
  std::size_t part_bytes = 8 * 1024 * 1024;
  bool tls = false;     // s3+https://
  std::string ca_file;  // ca=: trust these CAs instead of the system's (HTTPS only)
  // Kept-alive connections: at most this many idle ones, none idle longer than this (S3
  // itself closes idle connections after some 20 s).
  std::size_t max_idle_connections = 16;
  std::chrono::milliseconds idle_timeout{10000};
  // When set, connect to this address instead of resolving the Host name (as curl's
  // --resolve): for virtual-hosted addressing where BUCKET.HOST has no DNS entry. Not in
  // the URL; set by code (tests, or a deployment that pins the endpoint's address).
  std::string connect_address;

  // Retries of 5xx, 429/throttling and connection failures: at most max_attempts tries,
  // waiting backoff_initial * 2^n (capped at backoff_max) with jitter between them.
  int max_attempts = 4;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds request_timeout{60000};
};

// Code::bad_request with the reason for anything outside the form above, including a ca=
// file that is not a readable PEM file of certificates.
Result<S3Config> parseS3Url(std::string_view url);

}  // namespace parley::s3
