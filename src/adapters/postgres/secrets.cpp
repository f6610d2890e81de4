#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

Task<Result<std::string>> wrappedSecret(PgConn& c, const std::string& name) {
  const Params p(name);
  auto r = co_await c.query("SELECT wrapped FROM wrapped_secrets WHERE name = $1", p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no such secret");
  co_return r->text(0, 0);
}

Task<Status> putWrappedSecret(PgConn& c, const std::string& name, const std::string& wrapped) {
  const Params p(name, Bytes{wrapped});
  auto r = co_await c.query("INSERT INTO wrapped_secrets(name, wrapped) VALUES ($1, $2)", p);
  if (r) co_return Status{};
  if (r.error().code == Code::conflict) co_return makeError(Code::conflict, "secret exists");
  co_return r.error();
}

Task<Status> rewrapSecret(PgConn& c, const std::string& name, const std::string& wrapped,
                          const std::string& expected) {
  const Params p(name, Bytes{wrapped}, Bytes{expected});
  auto r = co_await c.query(
      "UPDATE wrapped_secrets SET wrapped = $2 WHERE name = $1 AND wrapped = $3 RETURNING name", p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::conflict, "secret changed");
  co_return Status{};
}

}  // namespace parley::postgres::ops
