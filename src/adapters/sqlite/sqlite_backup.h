// Copies of a SQLite file for `parley backup` / `parley restore` (app/backup_cmd.cpp).
//
// Blocking; run outside any io_context. Neither function changes its source.
#pragma once

#include <filesystem>

#include "core/error.h"

namespace parley::sqlite {

// Copies `from` (a database that a running node may be writing) to the new file `to` with
// SQLite's online backup API in one step: the copy is the database as of one committed
// transaction (a WAL read snapshot), and writers are not blocked while it runs. `to` is
// left in rollback-journal mode (one self-contained file), checked with
// `PRAGMA integrity_check` and fsynced. Code::not_found when `from` does not exist,
// Code::unavailable when it cannot be read, Code::internal when the copy is not sound.
Status snapshotSqlite(const std::filesystem::path& from, const std::filesystem::path& to);

// Opens `file` read-only and checks it: `PRAGMA integrity_check` says ok, and for a Store
// file (`store`) its schema version is 1 to this build's. Returns that version (0 for
// another file); Code::internal naming the file and the fault otherwise.
Result<int> checkSqliteCopy(const std::filesystem::path& file, bool store);

}  // namespace parley::sqlite
