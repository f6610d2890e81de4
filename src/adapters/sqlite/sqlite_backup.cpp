#include "adapters/sqlite/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "adapters/sqlite/schema.h"

namespace parley::sqlite {

namespace {

namespace fs = std::filesystem;

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

Error failure(Code code, const fs::path& file, sqlite3* db, std::string_view what) {
  std::string message = file.string() + ": " + std::string(what);
  if (db) message += std::string(": ") + sqlite3_errmsg(db);
  return makeError(code, std::move(message));
}

Status open(const fs::path& file, int flags, Connection& c) {
  if (sqlite3_open_v2(file.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    return failure(Code::unavailable, file, c.db, "cannot open");
  }
  sqlite3_busy_timeout(c.db, 5000);
  return {};
}

// The first column of the first row of `sql`, as text ("" when there is no row).
Result<std::string> firstText(Connection& c, const fs::path& file, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(c.db, sql, -1, &st, nullptr) != SQLITE_OK) {
    return failure(Code::internal, file, c.db, "not a Parley database");
  }
  std::string out;
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    out = p ? p : "";
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return failure(Code::internal, file, c.db, "unreadable");
  }
  return out;
}

Status syncFile(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return failure(Code::unavailable, file, nullptr, "cannot fsync");
  }
  ::close(fd);
  return {};
}

// Every page, in one step: the source's read transaction spans the whole copy, so the copy
// is one snapshot (a step at a time would restart whenever another connection writes).
Status copyPages(Connection& src, Connection& dst, const fs::path& from) {
  sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
  if (!b) return failure(Code::unavailable, from, dst.db, "backup could not start");
  int rc = sqlite3_backup_step(b, -1);
  // BUSY/LOCKED only while another connection recovers the WAL: bounded retries.
  for (int tries = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 100; ++tries) {
    sqlite3_sleep(50);
    rc = sqlite3_backup_step(b, -1);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return failure(Code::unavailable, from, src.db, "backup failed");
  return {};
}

}  // namespace

Status snapshotSqlite(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return makeError(Code::not_found, from.string() + ": no database file here");
  }
  Connection src;
  if (auto st = open(from, SQLITE_OPEN_READONLY, src); !st) return st;
  Connection dst;
  const int create = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE;
  if (auto st = open(to, create, dst); !st) return st;
  if (auto st = copyPages(src, dst, from); !st) return st;
  auto mode = firstText(dst, to, "PRAGMA journal_mode=DELETE");
  if (!mode) return mode.error();
  auto ok = firstText(dst, to, "PRAGMA integrity_check");
  if (!ok) return ok.error();
  if (*ok != "ok") return failure(Code::internal, to, nullptr, "copy failed its check: " + *ok);
  sqlite3_close_v2(dst.db);
  dst.db = nullptr;
  return syncFile(to);
}

Result<int> checkSqliteCopy(const fs::path& file, bool store) {
  Connection c;
  if (auto st = open(file, SQLITE_OPEN_READONLY, c); !st) return st.error();
  auto ok = firstText(c, file, "PRAGMA integrity_check");
  if (!ok) return ok.error();
  if (*ok != "ok") return failure(Code::internal, file, nullptr, "damaged: " + *ok);
  if (!store) return 0;
  auto version = firstText(c, file, "PRAGMA user_version");
  if (!version) return version.error();
  const int v = std::atoi(version->c_str());
  if (v < 1 || v > schemaVersion()) {
    return failure(Code::internal, file, nullptr,
                   "schema version " + *version + " is not one this build opens (1 to " +
                       std::to_string(schemaVersion()) + ")");
  }
  return v;
}

}  // namespace parley::sqlite
