// Secrets every node of a deployment shares, made on first use: 32 random bytes, wrapped
// by the KeyProvider and kept wrapped in the Store (like room keys), unwrapped in memory
// only. Whoever can write to the Cache (Redis) but holds neither the master key nor the
// database cannot learn them.
//
// Thread-safe. Two nodes asking for a new name at once agree: the Store keeps the first
// wrapped secret, the other node reads it back. A secret that cannot be unwrapped is an
// error, never a reason to make a new one.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "ports/key_provider.h"
#include "ports/store.h"

namespace parley {

class SharedSecrets {
 public:
  SharedSecrets(Store& store, KeyProvider& keys) : store_(store), keys_(keys) {}

  // The 32-byte secret called `name`; kept in memory once unwrapped.
  Task<Result<std::string>> get(std::string name);

  // The name of the key that binds cached sessions to their tokens (AccountService).
  static constexpr const char* kSessionCacheMac = "session-cache-mac/v1";
  // The key that seals what crosses the Bus between nodes (SealedBus).
  static constexpr const char* kBusSeal = "bus-seal/v1";
  // The key of the audit trail's hash chain (audit_chain.h).
  static constexpr const char* kAuditChain = "audit-chain/v1";
  // The key that seals TOTP secrets in the Store and keys recovery code hashes.
  static constexpr const char* kTotpSeal = "totp-seal/v1";
  // The key that MACs the challenges of the second sign-in step.
  static constexpr const char* kOtpChallenge = "otp-challenge/v1";
  // Every name above (what `parley keys rewrap` re-wraps).
  static constexpr const char* kAllNames[] = {kSessionCacheMac, kBusSeal, kAuditChain, kTotpSeal,
                                              kOtpChallenge};
  // What the wrap of `name` is bound to: "parley/secret/v1|NAME".
  static std::string contextOf(const std::string& name);

 private:
  Task<Result<std::string>> unwrap(std::string name, std::string wrapped);

  Store& store_;
  KeyProvider& keys_;
  std::mutex mu_;
  std::map<std::string, std::string> known_;  // GUARDED_BY(mu_)
};

}  // namespace parley
