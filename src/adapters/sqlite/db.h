// Small RAII wrappers over the sqlite3 C API, private to this adapter.
//
// Failures inside the adapter are thrown as `SqliteError` and caught at the job boundary
// (job.h), where they become `Error` values. Every sqlite3 call can fail, and turning each
// one into a returned value would bury the SQL under error plumbing; the exception never
// leaves this folder. Expected outcomes (not found, forbidden...) stay plain values.
//
// A `Db` is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace parley::sqlite {

class SqliteError : public std::runtime_error {
 public:
  explicit SqliteError(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Maps the connection's last failure: a uniqueness clash is `conflict`, a missing
// referenced row is `not_found`, anything else `unavailable`. The message is sqlite's
// (it names columns, never values).
Error errorFrom(sqlite3* db, int rc);

// Binds as a BLOB rather than TEXT (tables are STRICT).
struct Blob {
  std::string_view bytes;
};

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// A prepared statement borrowed from its connection's cache (or owned, when the cached
// one is already in use). Destruction resets it for the next user.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtHandle owned);
  Stmt(Stmt&&) = delete;
  ~Stmt();

  // Binds the arguments to parameters 1..n.
  template <class... Args>
  Stmt& bind(const Args&... args) {
    int i = 0;
    (bindOne(++i, args), ...);
    return *this;
  }

  // Binds one argument to parameter `i` (1-based).
  template <class T>
  Stmt& bindAt(int i, const T& v) {
    bindOne(i, v);
    return *this;
  }

  // Advances; true when a row is available.
  bool step();
  // Runs to completion, ignoring rows.
  void run();

  std::int64_t int64(int col) const;
  bool boolean(int col) const { return int64(col) != 0; }
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  void bindOne(int i, std::int64_t v);
  void bindOne(int i, int v) { bindOne(i, static_cast<std::int64_t>(v)); }
  void bindOne(int i, std::uint32_t v) { bindOne(i, static_cast<std::int64_t>(v)); }
  void bindOne(int i, bool v) { bindOne(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  void bindOne(int i, std::string_view v);
  void bindOne(int i, const std::string& v) { bindOne(i, std::string_view(v)); }
  void bindOne(int i, const char* v) { bindOne(i, std::string_view(v)); }
  void bindOne(int i, Blob v);
  void bindOne(int i, std::optional<std::string_view> v);  // NULL when empty
  void bindOne(int i, std::optional<std::int64_t> v);      // NULL when empty
  void check(int rc) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  StmtHandle owned_;
};

class Db {
 public:
  enum class Mode { read_write_create, read_only };

  // Opens the connection with extended result codes and a busy timeout.
  static Result<std::unique_ptr<Db>> open(const std::filesystem::path& file, Mode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A cached prepared statement for `sql` (one statement, no trailing SQL).
  Stmt prepare(std::string_view sql);
  // Runs one statement (may return rows, which are ignored).
  void exec(std::string_view sql) { prepare(sql).run(); }
  // Runs a script of several statements, uncached (schema, pragmas).
  void execScript(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  // True when no transaction is open (sqlite may roll one back by itself on some errors).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}

  struct Cached {
    StmtHandle stmt;
    bool in_use = false;
  };

  sqlite3* db_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace parley::sqlite
