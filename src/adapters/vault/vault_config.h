// Configuration of the Vault Transit KeyProvider, from the `--keyring` URL and a token:
//
//   vault+https://HOST[:PORT]/MOUNT/keys/NAME[?ca=/path/to/ca.pem][&namespace=NS]
//   vault+http://HOST[:PORT]/MOUNT/keys/NAME[?namespace=NS]     (plain HTTP: loopback tests)
//
// - HOST:PORT is the Vault (or OpenBao) API address (port 8200 by default). vault+https://
//   verifies the certificate chain against the system's trust store (or the CAs of ca=, a
//   percent-encoded path of a PEM file) and its name against HOST; vault+http:// carries
//   data keys in clear and is only for loopback tests.
// - MOUNT is where the transit engine is mounted (usually `transit`, nested mounts such as
//   `team/transit` work), NAME the key, created with derived=true (vault_key_provider.h).
// - namespace= is sent as X-Vault-Namespace (Vault Enterprise, OpenBao namespaces).
// - The URL never carries a credential: USER:PASS@ is refused, so a token cannot end up in
//   a command line, a TOML file or a log. The token comes from PARLEY_VAULT_TOKEN or from
//   --vault-token-file (app/), or the node logs in with AppRole (--vault-role-id-file and
//   --vault-secret-id-file; approle_mount= names the auth mount, default `approle`) and
//   renews its token, or logs in again, before the token expires (vault_client.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::vault {

// AppRole login (auth/<mount>/login): the node gets its token from Vault and keeps it fresh.
struct AppRole {
  std::string mount = "approle";  // approle_mount= in the URL
  std::string role_id;            // from a file (app/); never logged
  std::string secret_id;          // from a file (app/); never logged
};

struct VaultConfig {
  std::string host;
  std::string port = "8200";
  bool tls = false;     // vault+https://
  std::string ca_file;  // ca=: trust these CAs instead of the system's (HTTPS only)
  std::string mount = "transit";
  std::string key_name;
  std::string vault_namespace;     // namespace=: X-Vault-Namespace, "" for none
  std::string token;               // X-Vault-Token; never from the URL, never logged
  std::string approle_mount;       // approle_mount=: "" unless the URL names one
  std::optional<AppRole> approle;  // set instead of `token` for an AppRole login
  std::size_t max_idle_connections = 8;
  std::chrono::milliseconds idle_timeout{10000};

  // Retries of 5xx, 429 and connection failures or timeouts: at most max_attempts tries,
  // waiting backoff_initial * 2^n (capped at backoff_max) with jitter between them.
  int max_attempts = 4;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds request_timeout{10000};

  // When an AppRole token is due for renewal: steady_clock when empty (tests move time).
  std::function<std::chrono::steady_clock::time_point()> now;
};

// True when `url` is meant for the Vault adapter (it starts with "vault+" or "vault:").
bool isVaultUrl(std::string_view url);

// Parses the URL (token left empty). Code::bad_request with a reason on any error, which
// never repeats a credential the URL should not have held.
Result<VaultConfig> parseVaultUrl(std::string_view url);

// A token as read from PARLEY_VAULT_TOKEN or a token file: surrounding white space cut;
// Code::bad_request when empty, over 4096 bytes, or holding anything but printable ASCII.
Result<std::string> checkToken(std::string_view raw);
// The same checks for an AppRole role id or secret id ("role id", "secret id" in errors).
Result<std::string> checkCredential(std::string_view raw, std::string_view what);

}  // namespace parley::vault
