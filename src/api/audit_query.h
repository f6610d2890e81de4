// The filters of GET /api/v1/admin/audit (docs/api.md, "Audit trail"), read from the query
// string and checked: anything malformed is bad_request, naming the parameter.
#pragma once

#include <string>

#include "api/route_table.h"
#include "ports/store.h"

namespace parley::api {

struct AuditSearch {
  AuditQuery query;      // user_id is left 0: `username` names the account
  std::string username;  // "" for every account
};

// q (≤ 200 bytes), kind ([a-z_], ≤ 64), user (a username, ≤ 64), ip (hex digits, '.' and
// ':', ≤ 64; ending in '.' or ':' it is a prefix), since and until (ms since the epoch,
// until > since), cursor (from next_cursor), limit (1 to 500, default 100; above 500 is 500).
Result<AuditSearch> parseAuditSearch(const Call& c);

}  // namespace parley::api
