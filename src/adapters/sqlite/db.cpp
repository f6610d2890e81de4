#include "adapters/sqlite/db.h"

namespace parley::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 5000;
}

Error errorFrom(sqlite3* db, int rc) {
  const int code = db ? sqlite3_extended_errcode(db) : rc;
  std::string message = "sqlite: ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return makeError(Code::conflict, std::move(message));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return makeError(Code::not_found, std::move(message));
    default:
      return makeError(Code::unavailable, std::move(message));
  }
}

Stmt::Stmt(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtHandle owned)
    : db_(db), stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {}

Stmt::~Stmt() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_) *in_use_ = false;
}

void Stmt::check(int rc) const {
  if (rc != SQLITE_OK) throw SqliteError(errorFrom(db_, rc));
}

void Stmt::bindOne(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }

void Stmt::bindOne(int i, std::string_view v) {
  check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Stmt::bindOne(int i, Blob v) {
  // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
  const char* data = v.bytes.empty() ? "" : v.bytes.data();
  check(sqlite3_bind_blob64(stmt_, i, data, v.bytes.size(), SQLITE_TRANSIENT));
}

void Stmt::bindOne(int i, std::optional<std::string_view> v) {
  if (v) return bindOne(i, *v);
  check(sqlite3_bind_null(stmt_, i));
}

void Stmt::bindOne(int i, std::optional<std::int64_t> v) {
  if (v) return bindOne(i, *v);
  check(sqlite3_bind_null(stmt_, i));
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw SqliteError(errorFrom(db_, rc));
}

void Stmt::run() {
  while (step()) {
  }
}

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::string Stmt::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& file, Mode mode) {
  // NOMUTEX: a connection is only ever used by one thread at a time.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |=
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Db> db(new Db(raw));  // closes `raw` even when the open failed
  if (rc != SQLITE_OK) {
    Error e = errorFrom(raw, rc);
    e.message += " (opening " + file.string() + ")";
    return e;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Db::~Db() {
  cache_.clear();  // every statement must be finalized before the close succeeds
  sqlite3_close(db_);
}

Stmt Db::prepare(std::string_view sql) {
  auto [it, inserted] = cache_.try_emplace(std::string(sql));
  Cached& cached = it->second;
  if (!cached.stmt || cached.in_use) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) throw SqliteError(errorFrom(db_, rc));
    StmtHandle handle(raw);
    if (cached.in_use) return Stmt(db_, raw, nullptr, std::move(handle));  // nested use
    cached.stmt = std::move(handle);
  }
  cached.in_use = true;
  return Stmt(db_, cached.stmt.get(), &cached.in_use, nullptr);
}

void Db::execScript(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return;
  Error e = errorFrom(db_, rc);
  sqlite3_free(err);
  throw SqliteError(std::move(e));
}

}  // namespace parley::sqlite
