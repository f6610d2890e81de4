// AppRole login and token renewal (vault_client.h) against a scripted HTTP server on a free
// loopback port: the login goes first and carries no token, the token it gives is the one
// sent, two thirds into its lease the next call renews it (or logs in again when it cannot be
// renewed or nears its max TTL), a failed refresh leaves the valid token in use until it
// expires, and no error ever holds the role id, the secret id or a token. Time is moved by
// the config's clock, never waited for.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/vault/vault_key_provider.h"
#include "crypto/random.h"
#include "support/await.h"
#include "support/scripted_http_server.h"

namespace parley::vault {
namespace {

using ::parley::testing::await;
using Server = ::parley::testing::ScriptedHttpServer;
using Clock = std::chrono::steady_clock;

const std::string kRoleId = "role-0b6e4a11-e8b2";
const std::string kSecretId = "secret-7f1d9c3a-TopSecret";
const std::string kKey(32, 'k');

std::string ok(const std::string& json) { return Server::reply(200, "OK", json); }
std::string lease(const std::string& token, int ttl_s, bool renewable = true) {
  return ok(R"({"auth":{"client_token":")" + token + R"(","lease_duration":)" +
            std::to_string(ttl_s) + R"(,"renewable":)" + (renewable ? "true" : "false") + "}}");
}
std::string vaultError(int status, const std::string& error) {
  return Server::reply(status, "Error", R"({"errors":[")" + error + R"("]})");
}
std::string plaintext() {
  return ok(R"({"data":{"plaintext":")" + crypto::base64(kKey) + R"("}})");
}

// A provider logging in with AppRole, on a clock the test moves.
struct Node {
  std::shared_ptr<VaultStats> stats = std::make_shared<VaultStats>();
  std::shared_ptr<Clock::time_point> now = std::make_shared<Clock::time_point>(Clock::now());
  KeyProviderPtr keys;

  explicit Node(const Server& s, const std::string& mount = "approle") {
    VaultConfig c;
    c.host = "127.0.0.1";
    c.port = s.port();
    c.key_name = "parley";
    c.approle = AppRole{mount, kRoleId, kSecretId};
    c.backoff_initial = std::chrono::milliseconds(1);
    c.backoff_max = std::chrono::milliseconds(2);
    c.max_attempts = 2;
    c.now = [clock = now] { return *clock; };
    keys = makeVaultKeyProvider(std::move(c), stats);
  }
  Result<std::string> unwrap() {
    return await(keys->unwrap(std::string(1, kWrappedFormat) + "vault:v1:AAAA", "room:1:v1"));
  }
  void after(int seconds) { *now += std::chrono::seconds(seconds); }
};

bool hasToken(const Server::Request& r, const std::string& token) {
  return r.head.find("X-Vault-Token: " + token + "\r\n") != std::string::npos;
}
bool startsWith(const Server::Request& r, const std::string& line) {
  return r.head.rfind(line + " HTTP/1.1\r\n", 0) == 0;
}

TEST(VaultAppRole, LogsInFirstAndSendsTheTokenItGot) {
  Server server({lease("s.FromLogin1", 90), plaintext(), plaintext()});
  Node n(server, "team/approle");
  EXPECT_EQ(n.unwrap().value(), kKey);
  n.after(59);  // under two thirds of 90 s: no refresh
  EXPECT_EQ(n.unwrap().value(), kKey);
  const auto got = server.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(startsWith(got[0], "POST /v1/auth/team/approle/login"));
  EXPECT_EQ(got[0].head.find("X-Vault-Token"), std::string::npos);  // a login carries none
  auto body = boost::json::parse(got[0].body);
  EXPECT_EQ(body.at("role_id").as_string(), kRoleId);
  EXPECT_EQ(body.at("secret_id").as_string(), kSecretId);
  EXPECT_TRUE(startsWith(got[1], "POST /v1/transit/decrypt/parley"));
  EXPECT_TRUE(hasToken(got[1], "s.FromLogin1"));
  EXPECT_TRUE(hasToken(got[2], "s.FromLogin1"));
  EXPECT_EQ(n.stats->logins.load(), 1u);
  EXPECT_EQ(n.stats->renewals.load(), 0u);
}

TEST(VaultAppRole, RenewsTwoThirdsIntoTheLease) {
  Server server({lease("s.One", 90), plaintext(), lease("s.One", 90), plaintext()});
  Node n(server);
  EXPECT_EQ(n.unwrap().value(), kKey);
  n.after(61);
  EXPECT_EQ(n.unwrap().value(), kKey);
  const auto got = server.received();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(startsWith(got[2], "POST /v1/auth/token/renew-self"));
  EXPECT_TRUE(hasToken(got[2], "s.One"));
  EXPECT_TRUE(hasToken(got[3], "s.One"));
  EXPECT_EQ(n.stats->logins.load(), 1u);
  EXPECT_EQ(n.stats->renewals.load(), 1u);
}

TEST(VaultAppRole, LogsInAgainWhenTheTokenCannotBeRenewedOrNearsItsMaxTtl) {
  // Not renewable: a new login, no renew-self.
  {
    Server server({lease("s.One", 90, false), plaintext(), lease("s.Two", 90), plaintext()});
    Node n(server);
    EXPECT_EQ(n.unwrap().value(), kKey);
    n.after(61);
    EXPECT_EQ(n.unwrap().value(), kKey);
    const auto got = server.received();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_TRUE(startsWith(got[2], "POST /v1/auth/approle/login"));
    EXPECT_TRUE(hasToken(got[3], "s.Two"));
    EXPECT_EQ(n.stats->logins.load(), 2u);
  }
  // Renewed, but the max TTL leaves it 20 s of the 90 a login gives: log in instead.
  {
    Server server(
        {lease("s.One", 90), plaintext(), lease("s.One", 20), lease("s.Two", 90), plaintext()});
    Node n(server);
    EXPECT_EQ(n.unwrap().value(), kKey);
    n.after(61);
    EXPECT_EQ(n.unwrap().value(), kKey);
    const auto got = server.received();
    ASSERT_EQ(got.size(), 5u);
    EXPECT_TRUE(startsWith(got[2], "POST /v1/auth/token/renew-self"));
    EXPECT_TRUE(startsWith(got[3], "POST /v1/auth/approle/login"));
    EXPECT_TRUE(hasToken(got[4], "s.Two"));
    EXPECT_EQ(n.stats->renewals.load(), 0u);
  }
}

TEST(VaultAppRole, AFailedRefreshKeepsTheValidTokenUntilItExpires) {
  // Renewal refused (403), login unavailable (503 twice: max_attempts 2): the token still
  // has 29 s, so the call goes out with it. At 91 s it has expired and the refresh fails
  // again: the call fails, as unavailable, and tries again next time.
  Server server({lease("s.One", 90), plaintext(), vaultError(403, "permission denied"),
                 vaultError(503, "sealed"), vaultError(503, "sealed"), plaintext(),
                 vaultError(503, "sealed"), vaultError(503, "sealed"), lease("s.Two", 90),
                 plaintext()});
  Node n(server);
  EXPECT_EQ(n.unwrap().value(), kKey);
  n.after(61);
  EXPECT_EQ(n.unwrap().value(), kKey);
  n.after(30);
  auto failed = n.unwrap();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Code::unavailable);
  EXPECT_EQ(n.unwrap().value(), kKey);  // Vault is back: a login, and the call
  const auto got = server.received();
  ASSERT_EQ(got.size(), 10u);
  EXPECT_TRUE(hasToken(got[5], "s.One"));
  EXPECT_TRUE(startsWith(got[8], "POST /v1/auth/approle/login"));
  EXPECT_TRUE(hasToken(got[9], "s.Two"));
}

// The attacker is whoever answers as Vault (or sits on a vault+http:// path): echoing the
// credentials back in an error never puts them in Parley's errors or logs, and a login
// answer of the wrong shape is refused, not used.
TEST(VaultAppRole, ErrorsNeverHoldTheCredentialsAndBadLoginAnswersAreRefused) {
  {
    Server server({vaultError(400, "invalid role " + kRoleId + " or secret " + kSecretId)});
    Node n(server);
    auto r = n.unwrap();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::internal);  // a refusal, not retried
    EXPECT_EQ(r.error().message.find(kRoleId), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(kSecretId), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("vault login: HTTP 400"), std::string::npos);
    EXPECT_EQ(server.received().size(), 1u);
  }
  const std::vector<std::string> hostile = {
      ok("not json"),
      ok(R"({"data":{}})"),
      ok(R"({"auth":{"lease_duration":60,"renewable":true}})"),
      ok(R"({"auth":{"client_token":"","lease_duration":60}})"),
      ok(R"({"auth":{"client_token":"has space","lease_duration":60}})"),
      ok(R"({"auth":{"client_token":")" + std::string(5000, 'x') + R"(","lease_duration":60}})"),
      ok(R"({"auth":{"client_token":"s.ok","lease_duration":-1}})"),
      ok(R"({"auth":{"client_token":"s.ok","lease_duration":"60"}})"),
      ok(R"({"auth":{"client_token":"s.ok","lease_duration":99999999999}})"),
      ok(R"({"auth":{"client_token":")" + kSecretId + R"(","lease_duration":1e3}})"),
  };
  for (const auto& answer : hostile) {
    Server server({answer});
    Node n(server);
    auto r = n.unwrap();
    ASSERT_FALSE(r) << answer.substr(0, 200);
    EXPECT_EQ(r.error().code, Code::internal) << answer.substr(0, 200);
    EXPECT_EQ(r.error().message.find(kSecretId), std::string::npos) << r.error().message;
    EXPECT_EQ(server.received().size(), 1u) << "a refused answer is not retried";
  }
}

}  // namespace
}  // namespace parley::vault
