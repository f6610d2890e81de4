#include <array>
#include <utility>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

// One statement per table: the upsert, then the trim to the newest kKnownLoginsPerAccount
// by last use. Two statements, each atomic: concurrent logins of one account may leave
// one extra row until the next login trims it.
constexpr const char* kUpsertNetwork =
    "INSERT INTO known_networks(user_id, network, last_used) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id, network) DO UPDATE "
    "SET last_used = GREATEST(known_networks.last_used, excluded.last_used)";
constexpr const char* kTrimNetworks =
    "DELETE FROM known_networks WHERE user_id = $1 AND network NOT IN ("
    "SELECT network FROM known_networks WHERE user_id = $1 "
    "ORDER BY last_used DESC, network LIMIT $2)";
constexpr const char* kUpsertDevice =
    "INSERT INTO known_devices(user_id, device, last_used) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id, device) DO UPDATE "
    "SET last_used = GREATEST(known_devices.last_used, excluded.last_used)";
constexpr const char* kTrimDevices =
    "DELETE FROM known_devices WHERE user_id = $1 AND device NOT IN ("
    "SELECT device FROM known_devices WHERE user_id = $1 "
    "ORDER BY last_used DESC, device LIMIT $2)";

}  // namespace

Task<Status> rememberLogin(PgConn& c, UserId user, const std::string& network,
                           const std::string& device, Millis now) {
  const Params net(user, network, now);
  const Params dev(user, device, now);
  const Params trim(user, kKnownLoginsPerAccount);
  // Named, not a braced list in the loop header (g++ 12: src/README.md).
  const std::array<std::pair<const char*, const Params*>, 4> steps{{{kUpsertNetwork, &net},
                                                                    {kTrimNetworks, &trim},
                                                                    {kUpsertDevice, &dev},
                                                                    {kTrimDevices, &trim}}};
  for (const auto& [sql, params] : steps) {
    auto r = co_await c.query(sql, *params);
    if (!r && r.error().code == Code::not_found) {
      co_return makeError(Code::not_found, "user not found");
    }
    if (!r) co_return r.error();
  }
  co_return Status{};
}

Task<Result<KnownLogin>> knownLogin(PgConn& c, UserId user, const std::string& network,
                                    const std::string& device) {
  const Params p(user, network, device);
  auto r = co_await c.query(
      "SELECT EXISTS (SELECT 1 FROM known_networks WHERE user_id = $1 AND network = $2), "
      "EXISTS (SELECT 1 FROM known_devices WHERE user_id = $1 AND device = $3)",
      p);
  if (!r) co_return r.error();
  co_return KnownLogin{.network = r->boolean(0, 0), .device = r->boolean(0, 1)};
}

}  // namespace parley::postgres::ops
