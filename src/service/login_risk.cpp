#include "service/login_risk.h"

namespace parley {

bool LoginRisk::suspicious() const { return score >= LoginRiskWeights::kThreshold; }

LoginRisk scoreLogin(const LoginSignals& s) {
  using W = LoginRiskWeights;
  LoginRisk r;
  auto add = [&r](bool when, int weight, const char* reason) {
    if (!when) return;
    r.score += weight;
    r.reasons.emplace_back(reason);
  };
  add(s.new_device && s.new_network, W::kNewDeviceAndNetwork, "new_device_and_network");
  add(s.failures_before >= W::kFailures, W::kFailuresBefore, "failures_before");
  add(s.locked_before, W::kAfterLockout, "after_lockout");
  add(s.accounts_from_ip >= W::kAccountsFromIp, W::kManyAccountsFromIp,
      "many_accounts_from_address");
  add(s.recent_logins >= W::kRecentLogins, W::kManySessions, "many_sessions");
  return r;
}

}  // namespace parley
