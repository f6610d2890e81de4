#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

constexpr const char* kColumns =
    "id, user_id, kind, ip, device, detail, at, attempts, last_at, prev_hash, hash";

constexpr const char* kInsert =
    "INSERT INTO audit_events (user_id, kind, ip, device, detail, at, attempts, last_at, "
    "agg_key, agg_bucket, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)";

AuditEvent rowOf(Stmt& st) {
  return AuditEvent{.id = st.int64(0),
                    .user_id = st.int64(1),
                    .kind = st.text(2),
                    .ip = st.text(3),
                    .device = st.text(4),
                    .detail = st.text(5),
                    .at = st.int64(6),
                    .count = st.int64(7),
                    .last_at = st.int64(8),
                    .prev_hash = st.text(9),
                    .hash = st.text(10)};
}

std::vector<AuditEvent> rowsOf(Stmt& st) {
  std::vector<AuditEvent> out;
  while (st.step()) out.push_back(rowOf(st));
  return out;
}

// The hash of the newest row. The writer thread is the only writer of the file and runs
// one job at a time, so nothing can append between this read and the insert.
std::string lastHash(Db& db) {
  Stmt st = db.prepare("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1");
  return st.step() ? st.text(0) : std::string();
}

// Escapes LIKE's wildcards (with '\').
std::string likeEscaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Status recordAudit(Db& db, const AuditEvent& e, const AuditChain& chain) {
  const std::string prev = chain ? lastHash(db) : std::string();
  const std::string hash = chain ? chain(prev, e) : std::string();
  db.prepare(kInsert)
      .bind(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, e.at,
            std::optional<std::string_view>(), std::optional<std::int64_t>(), prev, hash)
      .run();
  return {};
}

// One statement on the unique (user_id, agg_key, agg_bucket): no two rows for one key and
// window, whoever writes at once. The hashes are used only if the row is new.
Status countAudit(Db& db, const AuditEvent& e, const std::string& key, Millis window_ms,
                  const AuditChain& chain) {
  const std::string prev = chain ? lastHash(db) : std::string();
  const std::string hash = chain ? chain(prev, e) : std::string();
  db.prepare(std::string(kInsert) +
             " ON CONFLICT (user_id, agg_key, agg_bucket) DO UPDATE SET attempts = attempts + 1, "
             "last_at = max(last_at, excluded.last_at)")
      .bind(e.user_id, e.kind, e.ip, e.device, e.detail, e.at, e.at,
            std::optional<std::string_view>(key), std::optional<std::int64_t>(e.at / window_ms),
            prev, hash)
      .run();
  return {};
}

Result<std::vector<AuditEvent>> auditEvents(Db& db, UserId user, int limit) {
  const std::string cols = kColumns;
  Stmt st = db.prepare(user == 0 ? "SELECT " + cols +
                                       " FROM audit_events WHERE ? = 0 ORDER BY id DESC LIMIT ?"
                                 : "SELECT " + cols +
                                       " FROM audit_events WHERE user_id = ? ORDER BY id DESC "
                                       "LIMIT ?");
  st.bind(user, limit);
  return rowsOf(st);
}

Result<std::vector<AuditEvent>> searchAudit(Db& db, const AuditQuery& q) {
  const std::string text = q.text.empty() ? "" : "%" + likeEscaped(q.text) + "%";
  const bool ip_prefix = !q.ip.empty() && (q.ip.back() == '.' || q.ip.back() == ':');
  const std::string ip = ip_prefix ? likeEscaped(q.ip) + "%" : q.ip;
  Stmt st =
      db.prepare(std::string("SELECT ") + kColumns +
                 " FROM audit_events WHERE (?1 = '' OR kind LIKE ?1 ESCAPE '\\' OR device LIKE ?1 "
                 "ESCAPE '\\' OR detail LIKE ?1 ESCAPE '\\') AND (?2 = '' OR kind = ?2) "
                 "AND (?3 = 0 OR user_id = ?3) AND (?4 = '' OR (?5 AND ip LIKE ?4 ESCAPE '\\') "
                 "OR (NOT ?5 AND ip = ?4)) AND at >= ?6 AND (?7 = 0 OR at < ?7) "
                 "AND (?8 = 0 OR id < ?8) ORDER BY id DESC LIMIT ?9");
  st.bind(text, q.kind, q.user_id, ip, ip_prefix, q.since, q.until, q.before_id, q.limit);
  return rowsOf(st);
}

Result<std::vector<AuditEvent>> auditChainAfter(Db& db, std::int64_t after_id, int limit) {
  Stmt st = db.prepare(std::string("SELECT ") + kColumns +
                       " FROM audit_events WHERE id > ? ORDER BY id LIMIT ?");
  st.bind(after_id, limit);
  return rowsOf(st);
}

// A prefix of the rows by id, so the chain that is left stays whole; the anchor moves to
// the newest chained row deleted, in the same job (one savepoint).
Result<std::int64_t> pruneAudit(Db& db, Millis before, int limit, const AuditChain& chain) {
  if (limit <= 0) return std::int64_t{0};
  // The newest row this call deletes: of the oldest `limit` rows before the first one at or
  // after the cut-off, the last.
  Stmt last = db.prepare(
      "SELECT id, at, hash FROM (SELECT id, at, hash FROM audit_events WHERE id < "
      "(SELECT coalesce(min(id), 9223372036854775807) FROM audit_events WHERE at >= ?) "
      "ORDER BY id LIMIT ?) ORDER BY id DESC LIMIT 1");
  last.bind(before, limit);
  if (!last.step()) return std::int64_t{0};
  AuditAnchor a{.through_id = last.int64(0), .through_at = last.int64(1), .hash = last.text(2)};
  db.prepare("DELETE FROM audit_events WHERE id <= ?").bind(a.through_id).run();
  const std::int64_t deleted = db.changes();
  if (!a.hash.empty() && chain) {
    a.mac = chain(a.hash, auditAnchorEvent(a));
    db.prepare(
          "INSERT INTO audit_anchor (one, through_id, through_at, hash, mac) VALUES (1, ?, ?, ?, "
          "?) ON CONFLICT (one) DO UPDATE SET through_id = excluded.through_id, "
          "through_at = excluded.through_at, hash = excluded.hash, mac = excluded.mac")
        .bind(a.through_id, a.through_at, a.hash, a.mac)
        .run();
  }
  return deleted;
}

Result<AuditAnchor> auditAnchor(Db& db) {
  Stmt st = db.prepare("SELECT through_id, through_at, hash, mac FROM audit_anchor WHERE one = 1");
  if (!st.step()) return makeError(Code::not_found, "no audit anchor");
  return AuditAnchor{
      .through_id = st.int64(0), .through_at = st.int64(1), .hash = st.text(2), .mac = st.text(3)};
}

}  // namespace parley::sqlite::ops
