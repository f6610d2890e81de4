#include <algorithm>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

constexpr const char* kColumns =
    "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at, prev_hash, hash ";

// Every append to the chain, on every node, holds this transaction-scoped lock ("audit" in
// ASCII) from reading the newest hash until its insert commits: the chain cannot fork.
constexpr const char* kChainLock = "SELECT pg_advisory_xact_lock(418430922100)";
constexpr const char* kLastHash = "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1";

const Params kNoParams;  // named, not a temporary, in co_await calls (g++ 12: src/README.md)

std::vector<AuditEvent> rowsOf(const PgResult& r) {
  std::vector<AuditEvent> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(AuditEvent{.id = r.int64(i, 0),
                             .user_id = r.int64(i, 1),
                             .kind = r.text(i, 2),
                             .ip = r.text(i, 3),
                             .device = r.text(i, 4),
                             .detail = r.text(i, 5),
                             .at = r.int64(i, 6),
                             .count = r.int64(i, 7),
                             .last_at = r.int64(i, 8),
                             .prev_hash = r.text(i, 9),
                             .hash = r.text(i, 10)});
  }
  return out;
}

// Opens a transaction, takes the chain's lock and returns the newest row's hash ("" if
// none). On failure the transaction is rolled back.
Task<Result<std::string>> lockChain(PgConn& c) {
  const std::vector<Statement> st{
      {"BEGIN", Params()}, {kChainLock, Params()}, {kLastHash, Params()}};
  auto r = co_await c.pipeline(st);
  if (!r) {
    auto rb = co_await c.query("ROLLBACK", kNoParams);
    (void)rb;  // a broken connection is closed by the pool instead
    co_return r.error();
  }
  co_return (*r)[2].rows() > 0 ? (*r)[2].text(0, 0) : std::string();
}

// Runs `insert` (its last two parameters: prev_hash, hash) inside lockChain's transaction
// and commits. Without a chain the row is stored unchained, in one statement.
Task<Result<PgResult>> appendChained(PgConn& c, const char* insert, Params p, const AuditEvent& e,
                                     const AuditChain& chain) {
  if (!chain) {
    p.add(std::string_view());
    p.add(std::string_view());
    auto r = co_await c.query(insert, p);
    co_return r;
  }
  auto prev = co_await lockChain(c);
  if (!prev) co_return prev.error();
  p.add(*prev);
  p.add(chain(*prev, e));
  const std::vector<Statement> st{{insert, std::move(p)}, {"COMMIT", Params()}};
  auto r = co_await c.pipeline(st);
  if (!r) {
    auto rb = co_await c.query("ROLLBACK", kNoParams);
    (void)rb;
    co_return r.error();
  }
  co_return std::move((*r)[0]);
}

std::string likeEscaped(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

}  // namespace

Task<Status> recordAudit(PgConn& c, const AuditEvent& e, const AuditChain& chain) {
  Params p(e.user_id, e.kind, e.ip, e.device, e.detail, e.at);
  auto r = co_await appendChained(
      c,
      "INSERT INTO audit_events(user_id, kind, ip, device, detail, at, attempts, last_at, "
      "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, 1, $6, $7, $8)",
      std::move(p), e, chain);
  if (!r) co_return r.error();
  co_return Status{};
}

// One statement on the unique (user_id, agg_key, agg_bucket): no two rows for one key and
// window, whichever nodes write at once. The hashes are used only if the row is new.
Task<Status> countAudit(PgConn& c, const AuditEvent& e, const std::string& key, Millis window_ms,
                        const AuditChain& chain) {
  Params p(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, key, e.at / window_ms);
  auto r = co_await appendChained(
      c,
      "INSERT INTO audit_events(user_id, kind, ip, device, detail, at, attempts, last_at, "
      "agg_key, agg_bucket, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, 1, $6, $7, $8, "
      "$9, $10) ON CONFLICT (user_id, agg_key, agg_bucket) DO UPDATE SET "
      "attempts = audit_events.attempts + 1, last_at = GREATEST(audit_events.last_at, $6)",
      std::move(p), e, chain);
  if (!r) co_return r.error();
  co_return Status{};
}

Task<Result<std::vector<AuditEvent>>> auditEvents(PgConn& c, UserId user, int limit) {
  const Params p(user, std::max(limit, 0));
  auto r = co_await c.query(
      "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at, prev_hash, hash "
      "FROM audit_events WHERE $1 = 0 OR user_id = $1 ORDER BY id DESC LIMIT $2",
      p);
  if (!r) co_return r.error();
  co_return rowsOf(*r);
}

Task<Result<std::vector<AuditEvent>>> searchAudit(PgConn& c, const AuditQuery& q) {
  const std::string text = q.text.empty() ? "" : "%" + likeEscaped(q.text) + "%";
  const bool ip_prefix = !q.ip.empty() && (q.ip.back() == '.' || q.ip.back() == ':');
  const std::string ip = ip_prefix ? likeEscaped(q.ip) + "%" : q.ip;
  const Params p(text, q.kind, q.user_id, ip, ip_prefix, q.since, q.until, q.before_id,
                 std::max(q.limit, 0));
  auto r = co_await c.query(
      "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at, prev_hash, hash "
      "FROM audit_events WHERE ($1 = '' OR kind ILIKE $1 OR device ILIKE $1 OR detail ILIKE $1) "
      "AND ($2 = '' OR kind = $2) AND ($3 = 0 OR user_id = $3) AND ($4 = '' OR ($5 AND ip LIKE "
      "$4) OR (NOT $5 AND ip = $4)) AND at >= $6 AND ($7 = 0 OR at < $7) "
      "AND ($8 = 0 OR id < $8) ORDER BY id DESC LIMIT $9",
      p);
  if (!r) co_return r.error();
  co_return rowsOf(*r);
}

Task<Result<std::vector<AuditEvent>>> auditChainAfter(PgConn& c, std::int64_t after_id, int limit) {
  const Params p(after_id, std::max(limit, 0));
  auto r = co_await c.query(
      "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at, prev_hash, hash "
      "FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2",
      p);
  if (!r) co_return r.error();
  co_return rowsOf(*r);
}

// A prefix of the rows by id, so the chain that is left stays whole; under the chain's
// lock, and the anchor moves to the newest chained row deleted in the same transaction.
Task<Result<std::int64_t>> pruneAudit(PgConn& c, Millis before, int limit,
                                      const AuditChain& chain) {
  if (limit <= 0) co_return std::int64_t{0};
  auto locked = co_await lockChain(c);
  if (!locked) co_return locked.error();
  const Params p(before, limit);
  auto last = co_await c.query(
      "SELECT id, at, hash FROM (SELECT id, at, hash FROM audit_events WHERE id < "
      "(SELECT COALESCE(min(id), 9223372036854775807) FROM audit_events WHERE at >= $1) "
      "ORDER BY id LIMIT $2) AS head ORDER BY id DESC LIMIT 1",
      p);
  if (!last || last->rows() == 0) {
    const char* end = last ? "COMMIT" : "ROLLBACK";
    auto done = co_await c.query(end, kNoParams);
    (void)done;
    if (!last) co_return last.error();
    co_return std::int64_t{0};
  }
  AuditAnchor a{
      .through_id = last->int64(0, 0), .through_at = last->int64(0, 1), .hash = last->text(0, 2)};
  std::vector<Statement> st{{"DELETE FROM audit_events WHERE id <= $1", Params(a.through_id)}};
  if (!a.hash.empty() && chain) {
    a.mac = chain(a.hash, auditAnchorEvent(a));
    st.push_back(
        {"INSERT INTO audit_anchor (one, through_id, through_at, hash, mac) VALUES "
         "(1, $1, $2, $3, $4) ON CONFLICT (one) DO UPDATE SET through_id = "
         "excluded.through_id, through_at = excluded.through_at, hash = excluded.hash, "
         "mac = excluded.mac",
         Params(a.through_id, a.through_at, a.hash, a.mac)});
  }
  st.push_back({"COMMIT", Params()});
  auto r = co_await c.pipeline(st);
  if (!r) {
    auto rb = co_await c.query("ROLLBACK", kNoParams);
    (void)rb;
    co_return r.error();
  }
  co_return (*r)[0].affected();
}

Task<Result<AuditAnchor>> auditAnchor(PgConn& c) {
  auto r =
      co_await c.query("SELECT through_id, through_at, hash, mac FROM audit_anchor", kNoParams);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no audit anchor");
  co_return AuditAnchor{.through_id = r->int64(0, 0),
                        .through_at = r->int64(0, 1),
                        .hash = r->text(0, 2),
                        .mac = r->text(0, 3)};
}

}  // namespace parley::postgres::ops
