#include "api/audit_query.h"

#include <algorithm>

namespace parley::api {

namespace {

Status bad(const std::string& what) { return makeError(Code::bad_request, what); }

bool allOf(const std::string& s, std::string_view allowed) {
  return std::all_of(s.begin(), s.end(),
                     [&](char ch) { return allowed.find(ch) != std::string_view::npos; });
}

constexpr std::string_view kKindChars = "abcdefghijklmnopqrstuvwxyz_";
constexpr std::string_view kIpChars = "0123456789abcdefABCDEF.:";

// The text filters; "" when absent.
Status readText(const Call& c, AuditSearch& s) {
  s.query.text = c.queryParam("q").value_or("");
  if (s.query.text.size() > 200) return bad("q is longer than 200 bytes");
  s.query.kind = c.queryParam("kind").value_or("");
  if (s.query.kind.size() > 64 || !allOf(s.query.kind, kKindChars))
    return bad("kind must be an event kind (a-z and _)");
  s.username = c.queryParam("user").value_or("");
  if (s.username.size() > 64) return bad("user is longer than 64 bytes");
  s.query.ip = c.queryParam("ip").value_or("");
  if (s.query.ip.size() > 64 || !allOf(s.query.ip, kIpChars))
    return bad("ip must be an address or a prefix ending in . or :");
  return {};
}

// since, until, cursor and limit.
Status readNumbers(const Call& c, AuditSearch& s) {
  auto since = intParam(c.queryParam("since"), "since");
  if (!since) return since.error();
  auto until = intParam(c.queryParam("until"), "until");
  if (!until) return until.error();
  if (*until && *until <= since->value_or(0)) return bad("until must be after since");
  s.query.since = since->value_or(0);
  s.query.until = until->value_or(0);
  auto cursor = intParam(c.queryParam("cursor"), "cursor");
  if (!cursor) return cursor.error();
  if (*cursor && **cursor == 0) return bad("cursor must come from next_cursor");
  s.query.before_id = cursor->value_or(0);
  auto limit = intParam(c.queryParam("limit"), "limit");
  if (!limit) return limit.error();
  if (*limit && **limit == 0) return bad("limit must be 1 to 500");
  s.query.limit = static_cast<int>(std::min<std::int64_t>(limit->value_or(100), 500));
  return {};
}

}  // namespace

Result<AuditSearch> parseAuditSearch(const Call& c) {
  AuditSearch s;
  if (auto st = readText(c, s); !st) return st.error();
  if (auto st = readNumbers(c, s); !st) return st.error();
  return s;
}

}  // namespace parley::api
