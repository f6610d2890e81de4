// Sign-up invites (expiry on a manual clock) and two-factor sign-in through AccountService
// on real small adapters (support/test_node.h).
#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

AuthContext signIn(TestNode& node, const std::string& name) {
  auto login = node.run(node.accounts.login(name, "password-" + name, "t", "127.0.0.1")).value();
  return node.run(node.accounts.authenticate(login.token, "127.0.0.1")).value();
}

AuthContext admin(TestNode& node) {
  User u = node.user("boss");
  EXPECT_TRUE(node.run(node.store->setUserAdmin(u.id, true)));
  return signIn(node, "boss");
}

TEST(Signup, RegistrationModes) {
  TestNode node;
  node.limits.registration = ServiceLimits::Registration::invite;
  auto r = node.run(node.accounts.registerUser("walkin", "password-walkin", "127.0.0.1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::registration_closed);
  node.limits.registration = ServiceLimits::Registration::closed;
  auto i = node.run(node.accounts.registerInvited("walkin", "password-walkin", "127.0.0.1", "x"));
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Code::registration_closed);
}

TEST(Signup, AnInviteExpires) {
  TestNode node;
  auto boss = admin(node);
  InviteSpec spec{.ttl_ms = 60'000, .max_uses = 5, .room_id = 0};
  auto made = node.run(node.accounts.createInvite(boss, spec)).value();
  EXPECT_TRUE(node.run(node.accounts.registerInvited("early", "password-x", "1.2.3.4", made.code)));
  node.clock.advance(60'000);
  auto late = node.run(node.accounts.registerInvited("late", "password-x", "1.2.3.4", made.code));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Code::invalid_invite);
  EXPECT_EQ(node.run(node.store->userByName("late")).error().code, Code::not_found);
  auto list = node.run(node.accounts.invites(boss, 10)).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].uses, 1);
  EXPECT_NE(list[0].token_hash, made.code);  // only the hash is stored
}

struct Enrolled {
  std::string key;
  std::vector<std::string> recovery;
};

Enrolled enrol(TestNode& node, const AuthContext& ctx) {
  auto e = node.run(node.accounts.beginEnrolment(ctx)).value();
  auto key = crypto::fromBase32(e.secret_base32).value();
  EXPECT_EQ(e.uri.rfind("otpauth://totp/Parley:", 0), 0u);
  const auto step = crypto::totpStep(node.clock.now() / 1000);
  auto codes =
      node.run(node.accounts.confirmEnrolment(ctx, crypto::totp(key, step), "127.0.0.1")).value();
  EXPECT_EQ(codes.size(), 10u);
  return {key, codes};
}

TEST(TwoFactor, TheSecretIsSealedAtRest) {
  TestNode node;
  node.user("alice");
  auto ctx = signIn(node, "alice");
  auto e = enrol(node, ctx);
  auto record = node.run(node.store->totpOf(ctx.user.id)).value();
  EXPECT_TRUE(record.enabled);
  EXPECT_EQ(record.sealed_secret.find(e.key), std::string::npos);
  EXPECT_EQ(record.sealed_secret.size(), e.key.size() + 40);  // nonce + tag
  EXPECT_EQ(record.recovery.size(), 10u * 32);
}

TEST(TwoFactor, LoginNeedsACodeWhichWorksOnceAndTheChallengeExpires) {
  TestNode node;
  node.user("alice");
  auto e = enrol(node, signIn(node, "alice"));
  node.clock.advance(30'000);  // the next step: the enrolment's code is spent
  auto first = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  ASSERT_FALSE(first.challenge.empty());
  EXPECT_TRUE(first.token.empty());
  const auto step = crypto::totpStep(node.clock.now() / 1000);
  const std::string code = crypto::totp(e.key, step);
  auto ok = node.run(node.accounts.loginSecondStep(first.challenge, code, "", "127.0.0.1"));
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->token.empty());
  // The same code again, with a fresh challenge: a replay.
  auto again = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  auto replay = node.run(node.accounts.loginSecondStep(again.challenge, code, "", "127.0.0.1"));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, Code::invalid_otp);
  // The spent challenge, with the next code: one session per challenge.
  const std::string next = crypto::totp(e.key, step + 1);
  auto reuse = node.run(node.accounts.loginSecondStep(first.challenge, next, "", "127.0.0.1"));
  EXPECT_EQ(reuse.error().code, Code::invalid_otp);
  // A challenge past its five minutes.
  node.clock.advance(AccountService::kChallengeTtlMs);
  const std::string later = crypto::totp(e.key, crypto::totpStep(node.clock.now() / 1000));
  auto expired = node.run(node.accounts.loginSecondStep(again.challenge, later, "", "127.0.0.1"));
  EXPECT_EQ(expired.error().code, Code::invalid_otp);
}

TEST(TwoFactor, RecoveryCodesWorkOnceAndDisableNeedsBoth) {
  TestNode node;
  node.user("alice");
  auto ctx = signIn(node, "alice");
  auto e = enrol(node, ctx);
  auto first = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  auto ok = node.run(node.accounts.loginSecondStep(first.challenge, "", e.recovery[0], "10.0.0.1"));
  ASSERT_TRUE(ok);
  auto again = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  auto used =
      node.run(node.accounts.loginSecondStep(again.challenge, "", e.recovery[0], "10.0.0.1"));
  EXPECT_EQ(used.error().code, Code::invalid_otp);
  EXPECT_EQ(node.run(node.accounts.twoFactorState(ctx))->recovery_left, 9);
  auto wrong_pw =
      node.run(node.accounts.disableTwoFactor(ctx, "nope-nope", e.recovery[1], "1.1.1.1"));
  EXPECT_EQ(wrong_pw.error().code, Code::wrong_password);
  auto wrong_code =
      node.run(node.accounts.disableTwoFactor(ctx, "password-alice", "000000", "1.1.1.1"));
  EXPECT_EQ(wrong_code.error().code, Code::invalid_otp);
  EXPECT_TRUE(
      node.run(node.accounts.disableTwoFactor(ctx, "password-alice", e.recovery[1], "1.1.1.1")));
  auto plain = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  EXPECT_TRUE(plain.challenge.empty());
  EXPECT_FALSE(plain.token.empty());
}

TEST(TwoFactor, RequiredMeansEnrolAtLogin) {
  TestNode node;
  node.user("alice");
  node.limits.require_2fa = true;
  auto first = node.run(node.accounts.login("alice", "password-alice", "t", "127.0.0.1")).value();
  ASSERT_TRUE(first.enrol);
  auto e =
      node.run(node.accounts.beginEnrolmentWithChallenge(first.challenge, "127.0.0.1")).value();
  auto key = crypto::fromBase32(e.secret_base32).value();
  const auto code = crypto::totp(key, crypto::totpStep(node.clock.now() / 1000));
  auto in = node.run(node.accounts.loginSecondStep(first.challenge, code, "", "127.0.0.1"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->recovery_codes.size(), 10u);
  auto forged = node.run(node.accounts.beginEnrolmentWithChallenge("AAAA", "127.0.0.1"));
  EXPECT_EQ(forged.error().code, Code::invalid_otp);
}

}  // namespace
}  // namespace parley
