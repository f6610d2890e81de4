// The schema and its versioned migrations (blocking libpq; run once at start-up).
#pragma once

#include <string>

#include "core/error.h"

namespace parley::postgres {

// The schema version this build writes.
int schemaVersion();

// Applies the missing steps, each in its own transaction under a transaction-scoped
// advisory lock, so that nodes starting together apply each step exactly once. Returns
// the version afterwards. Code::internal if the database is newer than this build,
// Code::unavailable if it cannot be reached.
Result<int> migrate(const std::string& url);

// The database's current version (0 for an empty database), without changing anything.
Result<int> currentVersion(const std::string& url);

}  // namespace parley::postgres
