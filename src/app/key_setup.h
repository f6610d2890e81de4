// The master key the node's `--keyring` names, opened and tried at start: the local keyring
// file (the default), AWS KMS (kms+https://) or Vault / OpenBao Transit (vault+https://).
#pragma once

#include <functional>
#include <string>

#include "app/config.h"
#include "core/error.h"
#include "ports/key_provider.h"

namespace parley::app {

// The Vault token: the environment variable PARLEY_VAULT_TOKEN, or the contents of
// --vault-token-file (first 4 KiB; white space around it cut); never both, never from the
// URL. Code::bad_request naming the flag when absent, unreadable, empty or not printable
// ASCII. Only meaningful with a vault+ --keyring.
Result<std::string> vaultToken(const Config& cfg);

// Flag checks of the key flags (exit 2, nothing opened but the credential files): the KMS or
// Vault URL parses, a Vault keyring has exactly one source of credentials (PARLEY_VAULT_TOKEN,
// --vault-token-file, or AppRole's --vault-role-id-file with --vault-secret-id-file), and
// none of those flags is given without a Vault keyring.
Status checkKeyFlags(const Config& cfg);

// Opens the provider. A remote one (KMS, Vault) is tried once: a throwaway key is wrapped and
// unwrapped, and for Vault also unwrapped under another context, which must fail (a Transit
// key created without derived=true ignores the context). A refusal (credentials, token,
// policy, key, certificate, a key that ignores the context) is returned, and the node stops
// (exit 1); a service that cannot be reached only logs key_provider_unreachable.
Result<KeyProviderPtr> openKeys(const Config& cfg);

// For `parley keys rewrap`: a test that a wrapped blob is already under the provider's newest
// master key version, so it needs no re-wrapping; null when the provider cannot tell (the
// keyring file, KMS: then every blob is re-wrapped). Vault: one wrap of a throwaway key
// shows the newest version N, and blobs of `vault:vN:` (or newer) pass.
std::function<bool(const std::string&)> alreadyNewest(const Config& cfg, KeyProvider& keys);

}  // namespace parley::app
