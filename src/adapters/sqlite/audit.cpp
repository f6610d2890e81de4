#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

Status recordAudit(Db& db, const AuditEvent& e) {
  db.prepare(
        "INSERT INTO audit_events (user_id, kind, ip, device, detail, at) VALUES (?, ?, ?, ?, ?, "
        "?)")
      .bind(e.user_id, e.kind, e.ip, e.device, e.detail, e.at)
      .run();
  return {};
}

Result<std::vector<AuditEvent>> auditEvents(Db& db, UserId user, int limit) {
  Stmt st =
      db.prepare(user == 0 ? "SELECT id, user_id, kind, ip, device, detail, at FROM audit_events "
                             "WHERE ? = 0 ORDER BY id DESC LIMIT ?"
                           : "SELECT id, user_id, kind, ip, device, detail, at FROM audit_events "
                             "WHERE user_id = ? ORDER BY id DESC LIMIT ?");
  st.bind(user, limit);
  std::vector<AuditEvent> out;
  while (st.step()) {
    out.push_back(AuditEvent{.id = st.int64(0),
                             .user_id = st.int64(1),
                             .kind = st.text(2),
                             .ip = st.text(3),
                             .device = st.text(4),
                             .detail = st.text(5),
                             .at = st.int64(6)});
  }
  return out;
}

}  // namespace parley::sqlite::ops
