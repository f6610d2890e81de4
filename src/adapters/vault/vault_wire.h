// Pure helpers for the Vault / OpenBao Transit API: the bodies of encrypt and decrypt, and
// reading their answers and errors. Thread-safe; no I/O.
//
// Everything that comes back from the server is distrusted: an answer that is not a JSON
// object holding the expected member, a ciphertext that is not `vault:vN:<base64>` within
// kMaxCiphertext bytes, a plaintext that is not canonical base64 of 32 bytes — all are
// Code::internal (a compromised or broken server never makes Parley store or use a key of
// another shape). The client bounds the body before these see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::vault {

// A Transit ciphertext of a 32-byte key is about 90 bytes; anything much longer is refused.
inline constexpr std::size_t kMaxCiphertext = 1024;

// {"plaintext": base64(data_key), "context": base64(context)}
std::string encryptRequest(std::string_view data_key, std::string_view context);
// {"ciphertext": ciphertext, "context": base64(context)}
std::string decryptRequest(std::string_view ciphertext, std::string_view context);

// data.ciphertext of an encrypt answer, checked to be vault:vN:<base64>.
Result<std::string> encryptAnswer(std::string_view body);
// data.plaintext of a decrypt answer, base64-decoded, checked to be `key_bytes` long.
Result<std::string> decryptAnswer(std::string_view body, std::size_t key_bytes);

// N of "vault:vN:<base64>" (1 ≤ N < 2^31), or nullopt if `ciphertext` is not of that shape.
std::optional<std::uint32_t> ciphertextVersion(std::string_view ciphertext);

// {"role_id", "secret_id"}: the body of POST /v1/auth/<mount>/login.
std::string appRoleLoginRequest(std::string_view role_id, std::string_view secret_id);

// What a login or a token renewal gave: auth.client_token (printable ASCII, at most 4096
// bytes), auth.lease_duration (0 = never expires; at most ten years) and auth.renewable.
struct TokenLease {
  std::string token;
  std::chrono::seconds ttl{0};
  bool renewable = false;
};
Result<TokenLease> tokenLeaseAnswer(std::string_view body);

// The "errors" of an error answer joined by "; ", printable ASCII only, at most 300 bytes;
// "" when there are none.
std::string errorText(std::string_view body);

// Whether an answer with this HTTP status may succeed if sent again: 5xx (a sealed or
// standby server answers 503) and 429 (a rate-limit quota). Every other 4xx is a refusal.
bool retryable(int status);

}  // namespace parley::vault
