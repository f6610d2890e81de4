// Statement parameters, result rows and error mapping over libpq, private to this adapter.
//
// Every parameter is sent in binary format with an explicit type (int8, bool, text, bytea),
// so bytes are never escaped and an embedded NUL is either kept (bytea) or refused by the
// server (text), never silently truncated. Results are requested in binary format too;
// `PgResult` decodes them according to each column's type.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley::postgres {

// Binds as BYTEA rather than TEXT.
struct Bytes {
  std::string_view bytes;
};

class Params {
 public:
  Params() = default;
  template <class... Args>
  explicit Params(const Args&... args) {
    (add(args), ...);
  }

  void add(std::int64_t v);
  void add(int v) { add(static_cast<std::int64_t>(v)); }
  void add(std::uint32_t v) { add(static_cast<std::int64_t>(v)); }
  void add(bool v);
  void add(std::string_view v);  // text
  void add(const std::string& v) { add(std::string_view(v)); }
  void add(const char* v) { add(std::string_view(v)); }
  void add(Bytes v);
  void add(std::optional<std::string_view> v);  // text, NULL when empty

  // Views for PQsendQueryParams; valid while this object lives unchanged.
  int size() const { return static_cast<int>(types_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void push(Oid type, std::string bytes, bool is_null = false);

  std::vector<Oid> types_;
  std::vector<std::string> data_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  mutable std::vector<const char*> values_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};

// One statement's successful result (rows in binary format).
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}

  int rows() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // int2/int4/int8/bool columns.
  std::int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const { return int64(row, col) != 0; }
  // text or bytea columns: the raw bytes.
  std::string text(int row, int col) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  std::unique_ptr<PGresult, ResultDeleter> r_;
};

// Maps a failed statement: unique violation is `conflict`, foreign-key violation
// `not_found`, bad data (class 22) `bad_request`, a lost connection or a server that is
// shutting down, overloaded or out of resources `unavailable`, anything else (a bug in our
// SQL) `internal`. The message is the server's primary message only: its DETAIL would
// quote row values.
Error errorFrom(const PGresult* r, PGconn* conn);
// A connection-level failure (connect, send, receive): always `unavailable`.
Error connectionError(PGconn* conn, std::string_view what);

}  // namespace parley::postgres
