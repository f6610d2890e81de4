#include <algorithm>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

Task<Status> recordAudit(PgConn& c, const AuditEvent& e) {
  const Params p(e.user_id, e.kind, e.ip, e.device, e.detail, e.at);
  auto r = co_await c.query(
      "INSERT INTO audit_events(user_id, kind, ip, device, detail, at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      p);
  if (!r) co_return r.error();
  co_return Status{};
}

Task<Result<std::vector<AuditEvent>>> auditEvents(PgConn& c, UserId user, int limit) {
  const Params p(user, std::max(limit, 0));
  auto r = co_await c.query(
      "SELECT id, user_id, kind, ip, device, detail, at FROM audit_events "
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
                             .at = r->int64(i, 6)});
  }
  co_return out;
}

}  // namespace parley::postgres::ops
