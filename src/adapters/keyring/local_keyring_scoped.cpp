// LocalKeyring's shred scopes: wrapping under a scope's secret as well as the master key,
// and destroying a scope (local_keyring.h, scope_secrets.h).
#include <mutex>

#include "adapters/keyring/local_keyring.h"
#include "crypto/keyed_hash.h"
#include "crypto/random.h"
#include "crypto/sealer.h"

namespace parley::keyring {

namespace {

std::string scopedAd(std::string_view key_id, std::string_view scope, std::string_view context) {
  std::string ad = "parley/keyring/scoped/v1|";
  ad += key_id;
  ad += '|';
  ad += scope;
  ad += '|';
  ad += context;
  return ad;
}

// The wrapping key of a scoped blob: needs both the master key and the scope's secret.
std::string scopedKey(std::string_view master, std::string_view secret, std::string_view scope) {
  std::string both(master);
  both += secret;
  std::string context = "parley/keyring/scope-key/v1|";
  context += scope;
  std::string key = crypto::deriveKey(both, context);
  crypto::wipe(both);
  return key;
}

Error malformedBlob() { return makeError(Code::internal, "wrapped key is malformed"); }

}  // namespace

Result<std::string> LocalKeyring::scopeSecret(const std::string& scope, bool create) const {
  std::lock_guard lock(scope_mu_);
  const FileStamp now = stampOf(scopes_file_);
  if (!(now == scopes_stamp_)) {
    auto fresh = readScopeSecrets(scopes_file_);
    if (!fresh) return fresh.error();
    scopes_ = std::move(*fresh);
    scopes_stamp_ = now;
  }
  if (auto it = scopes_.secrets.find(scope); it != scopes_.secrets.end()) {
    return std::string(it->second.view());
  }
  if (scopes_.destroyed.count(scope)) {
    return makeError(create ? Code::conflict : Code::internal,
                     "the keys of " + scope + " were destroyed (crypto-shredded)");
  }
  if (!create) {
    return makeError(Code::internal, "the secret of " + scope + " is not in " +
                                         scopes_file_.string() +
                                         " (restored without it? docs/operations.md)");
  }
  auto written = updateScopeSecrets(scopes_file_, [&](ScopeSecrets& s) -> Status {
    if (s.destroyed.count(scope)) {
      return makeError(Code::conflict, "the keys of " + scope + " were destroyed");
    }
    if (!s.secrets.count(scope)) {
      s.secrets.emplace(scope, crypto::SecretBytes(crypto::randomBytes(crypto::kKeyBytes)));
    }
    return {};
  });
  if (!written) return written.error();
  scopes_ = std::move(*written);
  scopes_stamp_ = stampOf(scopes_file_);
  return std::string(scopes_.secrets.at(scope).view());
}

Result<std::string> LocalKeyring::wrapScopedNow(std::string_view data_key, std::string_view context,
                                                const std::string& scope) {
  if (data_key.size() != crypto::kKeyBytes) {
    return makeError(Code::internal, "data key must be 32 bytes");
  }
  if (!validScope(scope)) return makeError(Code::internal, "malformed shred scope");
  auto secret = scopeSecret(scope, true);
  if (!secret) return secret.error();
  std::shared_lock lock(mu_);
  const MasterKey& k = keys_.back();
  std::string key = scopedKey(k.key.view(), *secret, scope);
  crypto::wipe(*secret);
  std::string out;
  out += kScopedWrapFormat;
  out += static_cast<char>(k.id.size());
  out += k.id;
  out += static_cast<char>(scope.size());  // at most 64 (validScope)
  out += scope;
  out += crypto::seal(key, scopedAd(k.id, scope, context), data_key);
  crypto::wipe(key);
  return out;
}

Result<std::string> LocalKeyring::unwrapScoped(std::string_view wrapped,
                                               std::string_view context) const {
  std::size_t at = 1;
  if (wrapped.size() < at + 1) return malformedBlob();
  const std::size_t id_len = static_cast<unsigned char>(wrapped[at++]);
  if (wrapped.size() < at + id_len + 1) return malformedBlob();
  const std::string_view id = wrapped.substr(at, id_len);
  at += id_len;
  const std::size_t scope_len = static_cast<unsigned char>(wrapped[at++]);
  if (wrapped.size() < at + scope_len + crypto::kSealOverhead) return malformedBlob();
  const std::string scope(wrapped.substr(at, scope_len));
  const std::string_view sealed = wrapped.substr(at + scope_len);
  if (!validScope(scope)) return malformedBlob();
  auto secret = scopeSecret(scope, false);
  if (!secret) return secret.error();
  std::shared_lock lock(mu_);
  for (const MasterKey& k : keys_) {
    if (k.id != id) continue;
    std::string key = scopedKey(k.key.view(), *secret, scope);
    crypto::wipe(*secret);
    auto data_key = crypto::open(key, scopedAd(k.id, scope, context), sealed);
    crypto::wipe(key);
    if (!data_key) {
      return makeError(Code::internal, "wrapped key check failed (wrong context or tampered)");
    }
    if (data_key->size() != crypto::kKeyBytes) {
      crypto::wipe(*data_key);
      return makeError(Code::internal, "unwrapped key is not 32 bytes");
    }
    return data_key;
  }
  crypto::wipe(*secret);
  return makeError(Code::internal, "the master key of a wrapped key is not in the keyring");
}

boost::asio::awaitable<Result<std::string>> LocalKeyring::wrapInScope(std::string data_key,
                                                                      std::string context,
                                                                      std::string scope) {
  auto r = wrapScopedNow(data_key, context, scope);
  crypto::wipe(data_key);
  co_return r;
}

boost::asio::awaitable<Status> LocalKeyring::destroyScope(std::string scope) {
  if (!validScope(scope)) co_return makeError(Code::internal, "malformed shred scope");
  std::lock_guard lock(scope_mu_);
  auto written = updateScopeSecrets(scopes_file_, [&](ScopeSecrets& s) -> Status {
    s.secrets.erase(scope);
    s.destroyed.insert(scope);
    return {};
  });
  if (!written) co_return written.error();
  scopes_ = std::move(*written);
  scopes_stamp_ = stampOf(scopes_file_);
  co_return Status{};
}

}  // namespace parley::keyring
