// The audit trail as a keyed hash chain. Each row's hash is BLAKE2b keyed with the
// deployment's audit key (SharedSecrets::kAuditChain: made once, kept only wrapped by the
// KeyProvider) over the previous row's hash and the row's own fields (user, kind, ip,
// device, detail, at; not id, count or last_at). Whoever can write to the database but
// does not hold the key cannot alter, remove or reorder a row without verifyAuditChain
// noticing; whoever holds the key can rewrite the chain, and removing the newest rows (the
// tail) leaves no trace in the database itself (docs/security.md).
//
// Pure functions and one coroutine; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ports/store.h"

namespace parley {

// Lowercase hex of the keyed hash of `e` after `prev_hash` ("" for the first row).
std::string auditHash(std::string_view key, std::string_view prev_hash, const AuditEvent& e);

// What the Store calls for each new row (Store::setAuditChain).
AuditChain makeAuditChain(std::string key);

struct AuditVerdict {
  std::int64_t events = 0;     // chained rows checked
  std::int64_t unchained = 0;  // rows from before the chain existed (before its first row)
  // Empty when the chain is intact; else what is wrong at `first_bad`: "altered" (its
  // fields or hash do not match), "removed" (rows are missing before it), "reordered"
  // (it is not where the chain put it), "unchained" (a row without a hash inside the
  // chain), "anchor altered" (the pruning anchor's MAC does not match).
  std::string problem;
  AuditEvent first_bad;  // id and at of the row the problem is found at
  AuditEvent newest;     // the newest chained row (id, at, hash): note it to catch truncation
  std::optional<AuditAnchor> anchor;  // where the chain starts after pruning
};

// Walks the whole trail in id order, `page` rows at a time, and stops at the first problem.
Task<Result<AuditVerdict>> verifyAuditChain(Store& store, std::string key, int page = 1000);

}  // namespace parley
