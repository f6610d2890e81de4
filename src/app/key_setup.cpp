#include "app/key_setup.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "adapters/keyring/local_keyring.h"
#include "adapters/kms/kms_config.h"
#include "adapters/kms/kms_key_provider.h"
#include "adapters/vault/vault_config.h"
#include "adapters/vault/vault_key_provider.h"
#include "core/log.h"
#include "crypto/random.h"

namespace parley::app {

namespace asio = boost::asio;

namespace {

Error flagError(std::string_view flag, const std::string& why) {
  return makeError(Code::bad_request, std::string(flag) + ": " + why);
}

// The first 4 KiB of a credential file, checked as vault::checkCredential does.
Result<std::string> readCredentialFile(std::string_view flag, const std::string& path,
                                       std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return flagError(flag, "cannot read " + path);
  std::string raw(4097, '\0');
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  raw.resize(static_cast<std::size_t>(in.gcount()));
  auto value = vault::checkCredential(raw, what);
  if (!value) return flagError(flag, path + ": " + value.error().message);
  return value;
}

bool wantsAppRole(const Config& cfg) {
  return !cfg.vault_role_id_file.empty() || !cfg.vault_secret_id_file.empty();
}

// --vault-role-id-file and --vault-secret-id-file, both, read and checked.
Result<vault::AppRole> appRole(const Config& cfg, const vault::VaultConfig& v) {
  if (cfg.vault_role_id_file.empty() || cfg.vault_secret_id_file.empty()) {
    return flagError(
        cfg.vault_role_id_file.empty() ? "--vault-secret-id-file" : "--vault-role-id-file",
        "AppRole needs both --vault-role-id-file and --vault-secret-id-file");
  }
  const char* env = std::getenv("PARLEY_VAULT_TOKEN");
  if ((env != nullptr && *env != '\0') || !cfg.vault_token_file.empty()) {
    return flagError("--vault-role-id-file",
                     "give a token (PARLEY_VAULT_TOKEN or --vault-token-file) or an AppRole, "
                     "not both");
  }
  auto role = readCredentialFile("--vault-role-id-file", cfg.vault_role_id_file, "role id");
  if (!role) return role.error();
  auto secret = readCredentialFile("--vault-secret-id-file", cfg.vault_secret_id_file, "secret id");
  if (!secret) return secret.error();
  vault::AppRole out;
  if (!v.approle_mount.empty()) out.mount = v.approle_mount;
  out.role_id = std::move(*role);
  out.secret_id = std::move(*secret);
  return out;
}

// Wraps and unwraps a throwaway key; with `check_binding`, also makes sure the blob does not
// open under another context.
Status tryProvider(KeyProvider& keys, bool check_binding) {
  asio::io_context io;
  auto check = asio::co_spawn(
      io,
      [&keys, check_binding]() -> asio::awaitable<Status> {
        std::string probe = crypto::randomBytes(32);
        std::string context = "parley/startup-check";
        auto wrapped = co_await keys.wrap(probe, context);
        if (!wrapped) co_return wrapped.error();
        std::string blob = *wrapped;
        auto back = co_await keys.unwrap(blob, context);
        if (!back) co_return back.error();
        if (*back != probe) co_return makeError(Code::internal, "unwrap gave another key");
        if (!check_binding) co_return Status{};
        std::string other = "parley/startup-check-other";
        auto moved = co_await keys.unwrap(blob, other);
        if (moved) {
          co_return makeError(Code::internal,
                              "vault: the Transit key ignores the context: create it with "
                              "derived=true (docs/operations.md)");
        }
        if (moved.error().code == Code::unavailable) co_return moved.error();
        co_return Status{};
      },
      asio::use_future);
  io.run();
  return check.get();
}

Result<KeyProviderPtr> tried(KeyProviderPtr keys, bool check_binding) {
  Status st = tryProvider(*keys, check_binding);
  if (!st && st.error().code != Code::unavailable) return st.error();
  if (!st) log::warn("key_provider_unreachable", {{"error", st.error().message}});
  return keys;
}

}  // namespace

Result<std::string> vaultToken(const Config& cfg) {
  const char* env = std::getenv("PARLEY_VAULT_TOKEN");
  const bool from_env = env != nullptr && *env != '\0';
  if (from_env && !cfg.vault_token_file.empty()) {
    return flagError("--vault-token-file", "PARLEY_VAULT_TOKEN is set too: give one of them");
  }
  if (!cfg.vault_token_file.empty()) {
    return readCredentialFile("--vault-token-file", cfg.vault_token_file, "token");
  }
  if (!from_env) {
    return flagError("--keyring",
                     "a vault+ keyring needs a token: set PARLEY_VAULT_TOKEN or "
                     "--vault-token-file, or log in with --vault-role-id-file and "
                     "--vault-secret-id-file");
  }
  auto token = vault::checkToken(env);
  if (!token) return flagError("PARLEY_VAULT_TOKEN", token.error().message);
  return token;
}

Status checkKeyFlags(const Config& cfg) {
  if (kms::isKmsUrl(cfg.keyring)) {
    if (auto k = kms::parseKmsUrl(cfg.keyring); !k) {
      return flagError("--keyring", k.error().message);
    }
  }
  if (!vault::isVaultUrl(cfg.keyring)) {
    if (!cfg.vault_token_file.empty()) {
      return flagError("--vault-token-file", "only with --keyring vault+https://...");
    }
    if (wantsAppRole(cfg)) {
      return flagError(
          cfg.vault_role_id_file.empty() ? "--vault-secret-id-file" : "--vault-role-id-file",
          "only with --keyring vault+https://...");
    }
    return {};
  }
  auto v = vault::parseVaultUrl(cfg.keyring);
  if (!v) return flagError("--keyring", v.error().message);
  if (wantsAppRole(cfg)) {
    if (auto role = appRole(cfg, *v); !role) return role.error();
    return {};
  }
  if (!v->approle_mount.empty()) {
    return flagError("--keyring", "approle_mount= needs --vault-role-id-file");
  }
  if (auto t = vaultToken(cfg); !t) return t.error();
  return {};
}

Result<KeyProviderPtr> openKeys(const Config& cfg) {
  if (kms::isKmsUrl(cfg.keyring)) {
    auto kcfg = kms::parseKmsUrl(cfg.keyring);
    if (!kcfg) return kcfg.error();
    log::info("key_provider", {{"kind", "kms"}, {"url", kms::redactedKmsUrl(cfg.keyring)}});
    return tried(kms::makeKmsKeyProvider(std::move(*kcfg)), false);
  }
  if (vault::isVaultUrl(cfg.keyring)) {
    auto vcfg = vault::parseVaultUrl(cfg.keyring);
    if (!vcfg) return vcfg.error();
    if (wantsAppRole(cfg)) {
      auto role = appRole(cfg, *vcfg);
      if (!role) return role.error();
      vcfg->approle = std::move(*role);
    } else {
      auto token = vaultToken(cfg);
      if (!token) return token.error();
      vcfg->token = std::move(*token);
    }
    // The URL holds no credential (parseVaultUrl refuses one), so it is logged as given.
    log::info("key_provider", {{"kind", "vault"}, {"url", cfg.keyring}});
    return tried(vault::makeVaultKeyProvider(std::move(*vcfg)), true);
  }
  return keyring::openLocalKeyring(cfg.keyring.empty()
                                       ? std::filesystem::path(cfg.data_dir) / "keyring.json"
                                       : std::filesystem::path(cfg.keyring));
}

std::function<bool(const std::string&)> alreadyNewest(const Config& cfg, KeyProvider& keys) {
  if (!vault::isVaultUrl(cfg.keyring)) return nullptr;
  asio::io_context io;
  auto probe = asio::co_spawn(
      io,
      [&keys]() -> asio::awaitable<Result<std::string>> {
        std::string key = crypto::randomBytes(32);
        std::string context = "parley/rewrap-probe";
        co_return co_await keys.wrap(std::move(key), std::move(context));
      },
      asio::use_future);
  io.run();
  auto blob = probe.get();
  if (!blob) return nullptr;  // the rewrap itself will report the failure
  auto newest = vault::wrappedKeyVersion(*blob);
  if (!newest) return nullptr;
  return [n = *newest](const std::string& wrapped) {
    auto v = vault::wrappedKeyVersion(wrapped);
    return v && *v >= n;
  };
}

}  // namespace parley::app
