#include <algorithm>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

Task<Status> recordAudit(PgConn& c, const AuditEvent& e) {
  const Params p(e.user_id, e.kind, e.ip, e.device, e.detail, e.at);
  auto r = co_await c.query(
      "INSERT INTO audit_events(user_id, kind, ip, device, detail, at, attempts, last_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, 1, $6)",
      p);
  if (!r) co_return r.error();
  co_return Status{};
}

// One statement on the unique (user_id, agg_key, agg_bucket): no two rows for one key and
// window, whichever nodes write at once.
Task<Status> countAudit(PgConn& c, const AuditEvent& e, const std::string& key, Millis window_ms) {
  const Params p(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, key, e.at / window_ms);
  auto r = co_await c.query(
      "INSERT INTO audit_events(user_id, kind, ip, device, detail, at, attempts, last_at, "
      "agg_key, agg_bucket) VALUES ($1, $2, $3, $4, $5, $6, 1, $6, $7, $8) "
      "ON CONFLICT (user_id, agg_key, agg_bucket) DO UPDATE SET "
      "attempts = audit_events.attempts + 1, last_at = GREATEST(audit_events.last_at, $6)",
      p);
  if (!r) co_return r.error();
  co_return Status{};
}

Task<Result<std::vector<AuditEvent>>> auditEvents(PgConn& c, UserId user, int limit) {
  const Params p(user, std::max(limit, 0));
  auto r = co_await c.query(
      "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at FROM audit_events "
      "WHERE $1 = 0 OR user_id = $1 ORDER BY id DESC LIMIT $2",
      p);
  if (!r) co_return r.error();
  std::vector<AuditEvent> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(AuditEvent{.id = r->int64(i, 0),
                             .user_id = r->int64(i, 1),
                             .kind = r->text(i, 2),
                             .ip = r->text(i, 3),
                             .device = r->text(i, 4),
                             .detail = r->text(i, 5),
                             .at = r->int64(i, 6),
                             .count = r->int64(i, 7),
                             .last_at = r->int64(i, 8)});
  }
  co_return out;
}

Task<Result<std::int64_t>> pruneAudit(PgConn& c, Millis before, int limit) {
  const Params p(before, std::max(limit, 0));
  auto r = co_await c.query(
      "DELETE FROM audit_events WHERE id IN ("
      "SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)",
      p);
  if (!r) co_return r.error();
  co_return r->affected();
}

}  // namespace parley::postgres::ops
