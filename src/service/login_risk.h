// Suspicious-login scoring (docs/security.md, "Suspicious logins"): each successful login
// gets a score from what the audit trail says about the minutes before it; at or above
// kThreshold it is suspicious. The weights are documented there; change both together.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley {

// What the trail says about one successful login (gathered by AccountService).
struct LoginSignals {
  bool new_device = false;
  bool new_network = false;
  std::int64_t failures_before = 0;   // failed logins of the account, last kFailureWindowMs
  bool locked_before = false;         // a refused-by-limit login of the account, same window
  std::int64_t accounts_from_ip = 0;  // other accounts failing from this address, last hour
  std::int64_t recent_logins = 0;     // other logins of the account, last kBurstWindowMs
};

struct LoginRisk {
  int score = 0;
  std::vector<std::string> reasons;  // new_device_and_network, failures_before, ...
  bool suspicious() const;
};

struct LoginRiskWeights {
  static constexpr int kNewDeviceAndNetwork = 40;  // both at once (either alone: 0)
  static constexpr int kFailuresBefore = 30;       // at least kFailures failures
  static constexpr int kAfterLockout = 30;
  static constexpr int kManyAccountsFromIp = 30;  // at least kAccountsFromIp other accounts
  static constexpr int kManySessions = 20;        // at least kRecentLogins other logins
  static constexpr int kThreshold = 50;

  static constexpr std::int64_t kFailures = 3;
  static constexpr std::int64_t kAccountsFromIp = 3;
  static constexpr std::int64_t kRecentLogins = 5;
  static constexpr std::int64_t kFailureWindowMs = 15 * 60'000;
  static constexpr std::int64_t kIpWindowMs = 60 * 60'000;
  static constexpr std::int64_t kBurstWindowMs = 10 * 60'000;
};

LoginRisk scoreLogin(const LoginSignals& s);

}  // namespace parley
