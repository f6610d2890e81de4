// Pure helpers for the AWS KMS JSON protocol (application/x-amz-json-1.1): the bodies of
// Encrypt and Decrypt, reading their answers and errors. Thread-safe; no I/O.
//
// KMS answers are parsed with Boost.JSON; anything malformed is an error value, never a
// crash (fuzz/kms_wire_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::kms {

// The name of the one encryption-context pair Parley binds to every data key:
// EncryptionContext = {"parley": context}. KMS logs it in CloudTrail next to each call.
inline constexpr std::string_view kContextKey = "parley";

// {"KeyId":…,"Plaintext":base64,"EncryptionContext":{"parley":context}}
std::string encryptRequest(std::string_view key_id, std::string_view plaintext,
                           std::string_view context);
// {"CiphertextBlob":base64,"EncryptionContext":{"parley":context}}. No KeyId: the ciphertext
// names its key, so keys wrapped before an alias was re-pointed still open.
std::string decryptRequest(std::string_view ciphertext, std::string_view context);

// The base64-decoded string member `member` ("CiphertextBlob", "Plaintext") of a successful
// answer. Code::internal if the body is not a JSON object holding it as canonical base64.
Result<std::string> responseBlob(std::string_view body, std::string_view member);

struct KmsError {
  std::string type;     // e.g. "InvalidCiphertextException" (any "namespace#" prefix cut)
  std::string message;  // "" when absent
};

// The error of a non-2xx answer: "__type" and "message" (or "Message") of the JSON body;
// else <Code> and <Message> of an XML body (signature refusals of some servers); else the
// type from the X-Amzn-ErrorType header (`type_header`, ":…" suffix cut).
KmsError parseError(std::string_view body, std::string_view type_header);

// Whether an answer with this status and error type may succeed if sent again: 5xx, 429
// and the throttling / internal / dependency-timeout types.
bool retryable(int status, std::string_view type);

}  // namespace parley::kms
