#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

Result<std::string> wrappedSecret(Db& db, const std::string& name) {
  Stmt st = db.prepare("SELECT wrapped FROM wrapped_secrets WHERE name = ?");
  st.bind(name);
  if (!st.step()) return makeError(Code::not_found, "no such secret");
  return st.blob(0);
}

Status putWrappedSecret(Db& db, const std::string& name, const std::string& wrapped) {
  try {
    db.prepare("INSERT INTO wrapped_secrets(name, wrapped) VALUES (?, ?)")
        .bind(name, Blob{wrapped})
        .run();
  } catch (const SqliteError& e) {
    if (e.error().code == Code::conflict) return makeError(Code::conflict, "secret exists");
    throw;
  }
  return {};
}

Status rewrapSecret(Db& db, const std::string& name, const std::string& wrapped,
                    const std::string& expected) {
  db.prepare("UPDATE wrapped_secrets SET wrapped = ? WHERE name = ? AND wrapped = ?")
      .bind(Blob{wrapped}, name, Blob{expected})
      .run();
  if (db.changes() == 0) return makeError(Code::conflict, "secret changed");
  return {};
}

}  // namespace parley::sqlite::ops
