// The audit trail's hash chain at the composition root: every process that writes audit
// rows (serve, admin, keys rewrap) gives its Store the chain (service/audit_chain.h), and
// `parley audit verify` walks it (docs/operations.md).
#pragma once

#include <string>

#include "app/admin_cmd.h"
#include "app/config.h"
#include "ports/key_provider.h"
#include "ports/store.h"

namespace parley::app {

// Fetches the deployment's audit key (made by the first node, kept wrapped in the Store)
// and sets the Store's chain. Blocks; the Store and the KeyProvider run their own threads.
Status chainAudit(Store& store, KeyProvider& keys);

// Records an audit event of the operator (user 0, no address) now; best effort, like every
// audit write (a failure is logged).
void recordNow(Store& store, std::string kind, std::string device, std::string detail);

// `open`, then the KeyProvider the flags name and chainAudit: for commands that write audit
// rows but hold no KeyProvider of their own (parley admin).
StoreOpener chainedOpener(StoreOpener open);

// argv[0] is "audit". `parley audit verify [serve options]`. Exit code: 0 the chain is
// intact, 1 it is broken (the first problem printed) or the Store failed, 2 bad usage.
int auditMain(int argc, const char* const* argv, const StoreOpener& open_store);

}  // namespace parley::app
