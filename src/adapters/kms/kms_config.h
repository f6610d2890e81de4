// Configuration of the KMS KeyProvider, usually from the `--keyring` URL:
//
//   kms+https://ACCESS_KEY:SECRET_KEY@HOST[:PORT]/KEY_ID[?region=REGION][&ca=/path/to/ca.pem]
//   kms+http://ACCESS_KEY:SECRET_KEY@HOST[:PORT]/KEY_ID[?region=REGION]   (plain HTTP)
//
// - ACCESS_KEY and SECRET_KEY are percent-encoded (a secret's '/' is written %2F, '+' %2B).
// - HOST:PORT is the KMS endpoint, e.g. kms.eu-west-1.amazonaws.com. kms+https:// reaches it
//   over TLS (port 443 by default), the certificate verified against the system's trust store
//   and its name against HOST; ca= (percent-encoded path of a PEM file) trusts the CAs in
//   that file instead. kms+http:// speaks plain HTTP (port 80 by default): only for loopback
//   tests, since the data keys travel in it.
// - KEY_ID is everything after the first '/', percent-decoded: a key id
//   (1234abcd-12ab-...), a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or an alias
//   (alias/parley, or its ARN). Every node of a deployment names the same key.
// - region defaults to us-east-1 (it is part of the SigV4 scope).
//
// Example:
// kms+https://AKIA...:wJal%2FrXU...@kms.eu-west-1.amazonaws.com/alias/parley?region=eu-west-1
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/aws/sigv4.h"
#include "core/error.h"

namespace parley::kms {

struct KmsConfig {
  aws::Credentials credentials;
  std::string host;
  std::string port = "80";
  std::string key_id;
  std::string region = "us-east-1";
  bool tls = false;     // kms+https://
  std::string ca_file;  // ca=: trust these CAs instead of the system's (HTTPS only)
  std::size_t max_idle_connections = 8;
  std::chrono::milliseconds idle_timeout{10000};

  // Retries of 5xx, throttling and connection failures: at most max_attempts tries, waiting
  // backoff_initial * 2^n (capped at backoff_max) with jitter between them.
  int max_attempts = 4;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds request_timeout{10000};
};

// True when `url` is meant for the KMS adapter (it starts with "kms+" or "kms:").
bool isKmsUrl(std::string_view url);

// Code::bad_request with the reason for anything outside the form above, including a ca=
// file that is not a readable PEM file of certificates. The reason never contains the
// secret.
Result<KmsConfig> parseKmsUrl(std::string_view url);

// The URL with the secret replaced by "***", for logs; "" if it does not parse.
std::string redactedKmsUrl(std::string_view url);

}  // namespace parley::kms
