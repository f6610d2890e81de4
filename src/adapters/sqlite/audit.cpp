#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

constexpr const char* kInsert =
    "INSERT INTO audit_events (user_id, kind, ip, device, detail, at, attempts, last_at, "
    "agg_key, agg_bucket) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)";

}  // namespace

Status recordAudit(Db& db, const AuditEvent& e) {
  db.prepare(kInsert)
      .bind(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, e.at,
            std::optional<std::string_view>(), std::optional<std::int64_t>())
      .run();
  return {};
}

// One statement on the unique (user_id, agg_key, agg_bucket): no two rows for one key and
// window, whoever writes at once.
Status countAudit(Db& db, const AuditEvent& e, const std::string& key, Millis window_ms) {
  db.prepare(std::string(kInsert) +
             " ON CONFLICT (user_id, agg_key, agg_bucket) DO UPDATE SET attempts = attempts + 1, "
             "last_at = max(last_at, excluded.last_at)")
      .bind(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, e.at,
            std::optional<std::string_view>(key), std::optional<std::int64_t>(e.at / window_ms))
      .run();
  return {};
}

Result<std::vector<AuditEvent>> auditEvents(Db& db, UserId user, int limit) {
  Stmt st =
      db.prepare(user == 0 ? "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at "
                             "FROM audit_events WHERE ? = 0 ORDER BY id DESC LIMIT ?"
                           : "SELECT id, user_id, kind, ip, device, detail, at, attempts, last_at "
                             "FROM audit_events WHERE user_id = ? ORDER BY id DESC LIMIT ?");
  st.bind(user, limit);
  std::vector<AuditEvent> out;
  while (st.step()) {
    out.push_back(AuditEvent{.id = st.int64(0),
                             .user_id = st.int64(1),
                             .kind = st.text(2),
                             .ip = st.text(3),
                             .device = st.text(4),
                             .detail = st.text(5),
                             .at = st.int64(6),
                             .count = st.int64(7),
                             .last_at = st.int64(8)});
  }
  return out;
}

Result<std::int64_t> pruneAudit(Db& db, Millis before, int limit) {
  db.prepare(
        "DELETE FROM audit_events WHERE id IN ("
        "SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)")
      .bind(before, limit)
      .run();
  return db.changes();
}

}  // namespace parley::sqlite::ops
