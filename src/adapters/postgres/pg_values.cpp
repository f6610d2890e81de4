#include "adapters/postgres/pg_values.h"

#include <cstdlib>

namespace parley::postgres {

namespace {

// Type OIDs from the server's catalog (pg_type.h); stable across releases.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

std::int64_t bigEndian(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  // Sign-extend narrower integers.
  if (n < 8 && n > 0 && (static_cast<unsigned char>(p[0]) & 0x80)) v |= ~0ULL << (8 * n);
  return static_cast<std::int64_t>(v);
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

void Params::push(Oid type, std::string bytes, bool is_null) {
  types_.push_back(type);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  null_.push_back(is_null);
  data_.push_back(std::move(bytes));
}

void Params::add(std::int64_t v) {
  std::string b(8, '\0');
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i, u >>= 8)
    b[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xff);
  push(kInt8Oid, std::move(b));
}

void Params::add(bool v) { push(kBoolOid, std::string(1, v ? '\1' : '\0')); }

void Params::add(std::string_view v) { push(kTextOid, std::string(v)); }

void Params::add(Bytes v) { push(kByteaOid, std::string(v.bytes)); }

void Params::add(std::optional<std::string_view> v) {
  if (v) return add(*v);
  push(kTextOid, std::string(), true);
}

const char* const* Params::values() const {
  values_.clear();
  for (std::size_t i = 0; i < data_.size(); ++i) {
    values_.push_back(null_[i] ? nullptr : data_[i].data());
  }
  return values_.data();
}

std::int64_t PgResult::int64(int row, int col) const {
  const char* p = PQgetvalue(r_.get(), row, col);
  const int n = PQgetlength(r_.get(), row, col);
  switch (PQftype(r_.get(), col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kBoolOid:
      return bigEndian(p, n);
    default:
      return 0;  // NULL or not an integer column: callers select integer columns only
  }
}

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

std::int64_t PgResult::affected() const { return std::atoll(PQcmdTuples(r_.get())); }

Error errorFrom(const PGresult* r, PGconn* conn) {
  if (PQstatus(conn) == CONNECTION_BAD) return connectionError(conn, "connection lost");
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string message = "postgres: " + trimmed(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
  const std::string_view s = state ? state : "";
  if (s == "23505") return makeError(Code::conflict, std::move(message));
  if (s == "23503") return makeError(Code::not_found, std::move(message));
  if (s.starts_with("22")) return makeError(Code::bad_request, std::move(message));
  // 08 connection, 40 rollback (serialization, deadlock), 53 resources, 57 operator
  // intervention (shutdown, cancel), 58 system error; no state: a client-side failure.
  for (std::string_view cls : {"08", "40", "53", "57", "58"}) {
    if (s.starts_with(cls)) return makeError(Code::unavailable, std::move(message));
  }
  if (s.empty()) return makeError(Code::unavailable, std::move(message));
  return makeError(Code::internal, message + " (SQLSTATE " + std::string(s) + ")");
}

Error connectionError(PGconn* conn, std::string_view what) {
  std::string message = "postgres: " + std::string(what);
  if (conn) {
    const std::string detail = trimmed(PQerrorMessage(conn));
    if (!detail.empty()) message += ": " + detail;
  }
  return makeError(Code::unavailable, std::move(message));
}

}  // namespace parley::postgres
