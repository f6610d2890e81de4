#include <gtest/gtest.h>

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
  auto dup = node.run(node.accounts.registerUser("ALICE", "password-x"));
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

}  // namespace
}  // namespace parley
