#include <string>

#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

// `table` and `column` are literals of this file, never input.
void upsertAndTrim(Db& db, const std::string& table, const std::string& column, UserId user,
                   const std::string& value, Millis now) {
  db.prepare("INSERT INTO " + table + "(user_id, " + column + ", last_used) VALUES (?, ?, ?) " +
             "ON CONFLICT(user_id, " + column +
             ") DO UPDATE SET last_used = max(last_used, excluded.last_used)")
      .bind(user, value, now)
      .run();
  db.prepare("DELETE FROM " + table + " WHERE user_id = ? AND " + column + " NOT IN (SELECT " +
             column + " FROM " + table + " WHERE user_id = ? ORDER BY last_used DESC, " + column +
             " LIMIT ?)")
      .bind(user, user, kKnownLoginsPerAccount)
      .run();
}

bool exists(Db& db, const std::string& table, const std::string& column, UserId user,
            const std::string& value) {
  Stmt st = db.prepare("SELECT 1 FROM " + table + " WHERE user_id = ? AND " + column + " = ?");
  st.bind(user, value);
  return st.step();
}

}  // namespace

Status rememberLogin(Db& db, UserId user, const std::string& network, const std::string& device,
                     Millis now) {
  try {
    upsertAndTrim(db, "known_networks", "network", user, network, now);
    upsertAndTrim(db, "known_devices", "device", user, device, now);
  } catch (const SqliteError& e) {
    if (e.error().code == Code::not_found) return makeError(Code::not_found, "user not found");
    throw;
  }
  return {};
}

Result<KnownLogin> knownLogin(Db& db, UserId user, const std::string& network,
                              const std::string& device) {
  return KnownLogin{.network = exists(db, "known_networks", "network", user, network),
                    .device = exists(db, "known_devices", "device", user, device)};
}

}  // namespace parley::sqlite::ops
