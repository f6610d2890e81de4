// `parley keys rewrap`: re-wraps every data key the Store holds (room keys, shared secrets)
// under the KeyProvider's newest master key version, so that the operator can then retire
// the older versions (Vault: raise min_decryption_version; keyring: drop an old key).
//
// Online: nodes may run meanwhile. Each blob is replaced only if it is still the one that
// was unwrapped (Store::rewrapRoomKey is a compare-and-swap), and the data key inside stays
// the same, so nothing a node caches or has sealed changes. Resumable: it walks the keys in
// (room, version) order and can be run again after an interruption; `skip` lets the caller
// pass over blobs already under the newest version (Vault blobs name theirs), so a second
// run costs no KeyProvider call for them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ports/key_provider.h"
#include "ports/store.h"

namespace parley {

struct RewrapReport {
  std::uint64_t rewrapped = 0;  // blobs replaced
  std::uint64_t skipped = 0;    // already under the newest version (skip said so)
  std::uint64_t changed = 0;    // replaced by someone else meanwhile: left as they are
};

struct RewrapOptions {
  int page = 200;  // keys read per Store call
  // True for a blob that needs no re-wrapping. Default: none.
  std::function<bool(const std::string& wrapped)> skip;
  // Called after each page with the last (room, version) done and the counts so far.
  std::function<void(RoomId, std::uint32_t, const RewrapReport&)> progress;
};

// Errors: the first KeyProvider or Store failure (keys before it are re-wrapped already; run
// again to go on).
Task<Result<RewrapReport>> rewrapAll(Store& store, KeyProvider& keys, RewrapOptions options);

}  // namespace parley
