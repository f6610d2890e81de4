// AccountService: the admins' search of the audit trail, and suspicious-login alerts.
#include <algorithm>
#include <set>

#include "core/log.h"
#include "core/metrics.h"
#include "service/accounts.h"
#include "service/envelope.h"
#include "service/frames.h"
#include "service/login_risk.h"

namespace parley {

namespace {

using W = LoginRiskWeights;

std::int64_t attempts(const std::vector<AuditEvent>& rows) {
  std::int64_t n = 0;
  for (const auto& r : rows) n += r.count;
  return n;
}

// Other accounts failing from `rows`' address: distinct ids but `me`; attempts naming no
// account count as one more.
std::int64_t otherAccounts(const std::vector<AuditEvent>& rows, UserId me) {
  std::set<UserId> ids;
  for (const auto& r : rows) {
    if (r.user_id != me) ids.insert(r.user_id);
  }
  return static_cast<std::int64_t>(ids.size());
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

// The trail of the minutes before this login (its own rows are already in it: the login
// row is not counted among the recent ones).
Task<void> AccountService::assessLogin(const Session& session, bool new_device, bool new_network) {
  const Millis now = clock_.now();
  LoginSignals s{.new_device = new_device, .new_network = new_network};
  AuditQuery failed{.kind = "login_failed",
                    .user_id = session.user_id,
                    .since = now - W::kFailureWindowMs,
                    .limit = 500};
  auto failures = co_await store_.searchAudit(std::move(failed));
  if (failures) s.failures_before = attempts(*failures);
  AuditQuery locked{.kind = "login_locked",
                    .user_id = session.user_id,
                    .since = now - W::kFailureWindowMs,
                    .limit = 1};
  auto lockouts = co_await store_.searchAudit(std::move(locked));
  s.locked_before = lockouts && !lockouts->empty();
  AuditQuery from_ip{
      .kind = "login_failed", .ip = session.ip, .since = now - W::kIpWindowMs, .limit = 500};
  auto spray = co_await store_.searchAudit(std::move(from_ip));
  if (spray) s.accounts_from_ip = otherAccounts(*spray, session.user_id);
  AuditQuery logins{
      .kind = "login", .user_id = session.user_id, .since = now - W::kBurstWindowMs, .limit = 50};
  auto recent = co_await store_.searchAudit(std::move(logins));
  if (recent) s.recent_logins = std::max<std::int64_t>(0, attempts(*recent) - 1);
  const LoginRisk risk = scoreLogin(s);
  if (!risk.suspicious()) co_return;
  metrics().suspicious_logins.inc();
  log::warn("suspicious_login", {{"user", session.user_id},
                                 {"session", session.id},
                                 {"score", static_cast<std::int64_t>(risk.score)},
                                 {"reasons", joined(risk.reasons)}});
  AuditEvent e{.user_id = session.user_id,
               .kind = "suspicious_login",
               .ip = session.ip,
               .device = session.device,
               .detail = "score " + std::to_string(risk.score) + ": " + joined(risk.reasons) +
                         "; session " + std::to_string(session.id),
               .at = now};
  co_await store_.recordAudit(std::move(e));  // best effort, as every audit write
  bus_.publish(userTopic(session.user_id),
               encodeEnvelope(Envelope::alert(session.user_id, session.id),
                              frames::securityAlert(session, risk.score, risk.reasons)));
}

Task<Result<std::vector<AuditEvent>>> AccountService::searchAudit(const AuthContext& ctx,
                                                                  AuditQuery q,
                                                                  std::string username) {
  auto allowed = co_await requireAdmin(ctx);
  if (!allowed) co_return allowed.error();
  if (!username.empty()) {
    auto user = co_await store_.userByName(std::move(username));
    if (!user && user.error().code == Code::not_found) co_return std::vector<AuditEvent>{};
    if (!user) co_return user.error();
    q.user_id = user->id;
  }
  q.limit = std::clamp(q.limit, 1, 500);
  co_return co_await store_.searchAudit(std::move(q));
}

}  // namespace parley
