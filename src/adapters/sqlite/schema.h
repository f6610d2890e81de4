// The adapter's schema as an ordered list of migrations; the version applied to a file
// is kept in `PRAGMA user_version`.
#pragma once

#include "adapters/sqlite/db.h"
#include "core/error.h"

namespace parley::sqlite {

// The schema version this build writes (the number of migrations it knows).
int schemaVersion();

// Sets the connection's pragmas (WAL, synchronous=FULL, foreign keys) and applies the
// migrations the file lacks, each in its own transaction. Fails with `Code::internal` if
// the file was written by a newer build.
Status prepareWriter(Db& db);

}  // namespace parley::sqlite
