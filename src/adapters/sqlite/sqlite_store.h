// The Store port on one SQLite file: the embedded default backend (DESIGN.md).
//
// Writes go to one writer thread that commits every request queued at that moment in one
// transaction (group commit), with synchronous=FULL in WAL mode: a method that wrote has
// returned only after its data is on disk. Reads run on `reader_threads` threads, each
// with its own read-only connection. Callers resume on their own executor.
//
// Destroying the store completes the work already queued, then stops its threads. No
// method may be called once destruction has begun.
#pragma once

#include <filesystem>

#include "core/error.h"
#include "ports/store.h"

namespace parley::sqlite {

struct SqliteOptions {
  int reader_threads = 2;  // at least 1
};

// Opens (creating if absent; the parent directory must exist) and migrates the file.
// Fails with Code::internal if the file's schema is newer than this build's, and with
// Code::unavailable if it cannot be opened.
Result<StorePtr> openSqliteStore(const std::filesystem::path& file, SqliteOptions opts = {});

// The schema version this build writes (kept in the file's `PRAGMA user_version`).
int sqliteSchemaVersion();

}  // namespace parley::sqlite
