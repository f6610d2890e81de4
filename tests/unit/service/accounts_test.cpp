#include <gtest/gtest.h>

#include "crypto/tokens.h"
#include "service/session_mac.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

TEST(Accounts, UsernameRules) {
  for (std::string ok : std::vector<std::string>{"abc", "Alice_1", "a.b-c", std::string(32, 'x')}) {
    EXPECT_TRUE(AccountService::checkUsername(ok)) << ok;
  }
  for (std::string bad :
       std::vector<std::string>{"ab", "_alice", "al ice", "alice!", std::string(33, 'x'), "ünï"}) {
    EXPECT_FALSE(AccountService::checkUsername(bad)) << bad;
  }
}

TEST(Accounts, LoginSessionsAndRevocation) {
  TestNode node;
  node.user("alice");
  auto dup = node.run(node.accounts.registerUser("ALICE", "password-x", "127.0.0.1"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Code::conflict);

  auto wrong = node.run(node.accounts.login("alice", "nope-nope", "phone", "127.0.0.1"));
  EXPECT_EQ(wrong.error().code, Code::bad_credentials);
  auto nobody = node.run(node.accounts.login("nobody", "nope-nope", "phone", "127.0.0.1"));
  EXPECT_EQ(nobody.error().code, Code::bad_credentials);

  auto phone =
      node.run(node.accounts.login("Alice", "password-alice", "phone", "127.0.0.1")).value();
  auto laptop =
      node.run(node.accounts.login("alice", "password-alice", "laptop", "127.0.0.1")).value();
  EXPECT_NE(phone.token, laptop.token);
  auto ctx = node.run(node.accounts.authenticate(phone.token, "127.0.0.1")).value();
  EXPECT_EQ(ctx.session.device, "phone");
  EXPECT_EQ(node.run(node.accounts.sessions(ctx)).value().size(), 2u);

  node.run(node.accounts.revoke(ctx, laptop.session.id)).value();
  EXPECT_EQ(node.run(node.accounts.authenticate(laptop.token, "127.0.0.1")).error().code,
            Code::unauthorized);
  EXPECT_TRUE(node.run(node.accounts.authenticate(phone.token, "127.0.0.1")));
}

TEST(Accounts, SessionsExpireWhenIdleOrOld) {
  TestNode node;
  node.user("alice");
  auto login = node.run(node.accounts.login("alice", "password-alice", "phone", "ip")).value();
  node.clock.advance(node.limits.session_idle_ms + 1);
  EXPECT_EQ(node.run(node.accounts.authenticate(login.token, "ip")).error().code,
            Code::unauthorized);

  auto second = node.run(node.accounts.login("alice", "password-alice", "phone", "ip")).value();
  // Used every day, it still ends at the absolute limit.
  for (Millis t = 0; t < node.limits.session_max_age_ms; t += 24LL * 3600 * 1000) {
    node.clock.advance(24LL * 3600 * 1000);
    ASSERT_TRUE(node.run(node.accounts.authenticate(second.token, "ip")));
  }
  node.clock.advance(1);
  EXPECT_EQ(node.run(node.accounts.authenticate(second.token, "ip")).error().code,
            Code::unauthorized);
}

TEST(Accounts, RegistrationsAreLimitedPerAddressAndOverallBeforeHashing) {
  TestNode node;
  node.limits.register_per_ip_per_hour = 2;
  node.limits.register_per_minute = 3;
  auto reg = [&node](const std::string& name, const std::string& ip) {
    return node.run(node.accounts.registerUser(name, "password-" + name, ip));
  };
  EXPECT_TRUE(reg("user_a1", "10.0.0.1"));
  EXPECT_TRUE(reg("user_a2", "10.0.0.1"));
  auto third = reg("user_a3", "10.0.0.1");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Code::rate_limited);
  EXPECT_GE(third.error().retry_after_s, 1);
  // An IPv6 /64 is one source, whatever the interface id.
  EXPECT_TRUE(reg("user_b1", "2001:db8:1:2::1"));
  auto global = reg("user_b2", "2001:db8:1:2::99");
  ASSERT_FALSE(global);  // the deployment's 3 per minute are spent
  EXPECT_EQ(global.error().code, Code::rate_limited);
  node.clock.advance(60'001);
  // Every interface id of that /64 is the same source, which had its two attempts.
  EXPECT_EQ(reg("user_b3", "2001:db8:1:2:ffff::1").error().code, Code::rate_limited);
  EXPECT_TRUE(reg("user_b4", "2001:db8:1:3::1"));  // another /64, a new minute
  // Nothing refused was created.
  EXPECT_EQ(node.run(node.store->userByName("user_a3")).error().code, Code::not_found);
}

TEST(Accounts, KnownNetworksSurviveAnyNumberOfRefusals) {
  TestNode node;
  node.limits.login_per_ip_per_minute = 1'000'000;
  node.limits.login_per_account_unknown_network_per_hour = 3;
  node.user("alice");
  ASSERT_TRUE(node.run(node.accounts.login("alice", "password-alice", "home", "10.1.1.7")));
  for (int i = 0; i < 400; ++i) {
    auto r = node.run(
        node.accounts.login("alice", "wrong-password", "x", "10.2." + std::to_string(i) + ".1"));
    ASSERT_FALSE(r);
  }
  EXPECT_TRUE(node.run(node.accounts.login("alice", "password-alice", "home", "10.1.1.8")));
  auto fresh = node.run(node.accounts.login("alice", "password-alice", "home", "10.3.3.3"));
  ASSERT_FALSE(fresh);
  EXPECT_EQ(fresh.error().code, Code::rate_limited);
}

TEST(Accounts, RefusalsAreCountedAndOldAuditRowsPruned) {
  TestNode node;
  node.limits.login_per_ip_per_minute = 1'000'000;
  node.limits.login_per_account_ip_per_15min = 1'000'000;
  node.limits.login_per_account_unknown_network_per_hour = 1'000'000;
  node.limits.audit_retention_ms = 24LL * 3600 * 1000;
  node.user("alice");
  for (int i = 0; i < 50; ++i) {
    node.run(node.accounts.login("alice", "wrong-password", "d" + std::to_string(i), "10.0.0.1"));
  }
  auto rows = node.run(node.store->auditEvents(0, 100)).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 50);
  EXPECT_EQ(node.run(node.accounts.pruneAudit()).value(), 0);
  node.clock.advance(24LL * 3600 * 1000 + 1);
  node.run(node.accounts.login("alice", "wrong-password", "d", "10.0.0.1"));
  EXPECT_EQ(node.run(node.accounts.pruneAudit()).value(), 1);
  rows = node.run(node.store->auditEvents(0, 100)).value();
  ASSERT_EQ(rows.size(), 1u);  // the new one is kept
  EXPECT_EQ(rows[0].count, 1);
  node.limits.audit_retention_ms = 0;  // keep forever
  node.clock.advance(365LL * 24 * 3600 * 1000);
  EXPECT_EQ(node.run(node.accounts.pruneAudit()).value(), 0);
}

TEST(Accounts, CachedSessionsCountOnlyWithTheirMac) {
  TestNode node;
  node.user("alice");
  node.user("mallory");
  auto alice = node.run(node.accounts.login("alice", "password-alice", "p", "ip")).value();
  auto mallory = node.run(node.accounts.login("mallory", "password-mallory", "p", "ip")).value();
  ASSERT_TRUE(node.run(node.accounts.authenticate(alice.token, "ip")));  // cached now
  const std::string alice_hash = crypto::hashToken(alice.token);
  auto entry = node.run(node.cache->session(alice_hash));
  ASSERT_TRUE(entry);

  // Alice's genuine entry under another token's key: that token is not Alice.
  const std::string chosen = "chosen-token-of-the-attacker";
  node.run(node.cache->putSession(crypto::hashToken(chosen), *entry, 60'000));
  EXPECT_EQ(node.run(node.accounts.authenticate(chosen, "ip")).error().code, Code::unauthorized);
  // Over Mallory's own key: Mallory stays Mallory.
  const std::string mallory_hash = crypto::hashToken(mallory.token);
  node.run(node.cache->putSession(mallory_hash, *entry, 60'000));
  EXPECT_EQ(node.run(node.accounts.authenticate(mallory.token, "ip")).value().user.username,
            "mallory");
  // A MAC made under another key.
  CachedSession forged = *entry;
  forged.mac = sessionMac(std::string(32, 'k'), mallory_hash, forged);
  node.run(node.cache->putSession(mallory_hash, forged, 60'000));
  EXPECT_EQ(node.run(node.accounts.authenticate(mallory.token, "ip")).value().user.username,
            "mallory");
  // A genuine entry replayed after its time (here of a revoked session) is not trusted.
  auto saved = node.run(node.cache->session(mallory_hash));  // genuine: refreshed just above
  ASSERT_TRUE(saved);
  auto ctx = node.run(node.accounts.authenticate(mallory.token, "ip")).value();
  ASSERT_TRUE(node.run(node.accounts.revoke(ctx, mallory.session.id)));
  node.clock.advance(node.limits.session_cache_ttl_ms + 1);
  node.run(node.cache->putSession(mallory_hash, *saved, 60'000));
  EXPECT_EQ(node.run(node.accounts.authenticate(mallory.token, "ip")).error().code,
            Code::unauthorized);
}

}  // namespace
}  // namespace parley
