// VaultKeyProvider: the KeyProvider (ports/key_provider.h) on the Transit secrets engine of
// HashiCorp Vault or OpenBao. The master key never leaves Vault: a data key is wrapped with
// POST /v1/MOUNT/encrypt/NAME {plaintext, context} and unwrapped with
// POST /v1/MOUNT/decrypt/NAME {ciphertext, context}.
//
// Why `context` (a derived key) rather than `associated_data`: the Transit key must be
// created with derived=true, and then
//   - Vault refuses any encrypt or decrypt that does not name a context, so no client holding
//     the token (a misconfigured node, a script) can make a wrapped key bound to nothing;
//   - each context ("room:42:v1") gets its own AES-256-GCM key (HKDF from the key version),
//     so the random-nonce budget of GCM is spent per room key, not shared by the deployment;
//   - it works on every Vault and OpenBao version, and on any AEAD key type.
// A key created WITHOUT derived=true silently ignores `context`; the composition root's
// start-up check therefore also makes sure a blob does not open under another context, and
// stops the node if it does ("create the key with derived=true").
//
// Wrapped format: 0x03 | "vault:vN:<base64>" (Transit's own ciphertext, which names its key
// version, so keys wrapped before a rotation still open; the keyring's blobs start with 0x01,
// KMS's with 0x02, so a blob of another provider is refused with a clear reason).
//
// Errors (the port's contract): a tampered blob, a wrong context, a wrong or expired token,
// a policy that refuses, a key below min_decryption_version, and any malformed answer
// (not JSON, bad base64, a plaintext that is not 32 bytes, over 64 KiB) are Code::internal,
// not retried; a server that cannot be reached, times out, is sealed (503) or answers 5xx
// or 429 after the client's bounded retries is Code::unavailable. The token never appears in
// an error. Each call is a round trip: RoomKeys caches unwrapped keys (bounded). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "adapters/vault/vault_client.h"
#include "adapters/vault/vault_config.h"
#include "ports/key_provider.h"

namespace parley::vault {

inline constexpr char kWrappedFormat = 0x03;

KeyProviderPtr makeVaultKeyProvider(VaultConfig config,
                                    std::shared_ptr<VaultStats> stats = nullptr);

// The Transit key version a blob of this provider was wrapped under, or nullopt if `wrapped`
// is not one (for `parley keys rewrap`: which blobs are still under an old version).
std::optional<std::uint32_t> wrappedKeyVersion(std::string_view wrapped);

}  // namespace parley::vault
