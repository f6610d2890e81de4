// The Store contract for what keeps accounts safe (src/ports/store.h): where each account
// logs in from, secrets shared by every node, and the audit trail's counted refusals and
// retention. Included by store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

// --- known logins ---

TEST_P(StoreContract, KnownLoginsArePerAccount) {
  User alice = user("alice");
  User bob = user("bob");
  auto before = run(store().knownLogin(alice.id, "10.0.0", "laptop"));
  ASSERT_TRUE(before) << errorOf(before);
  EXPECT_FALSE(before->network);
  EXPECT_FALSE(before->device);

  ASSERT_TRUE(run(store().rememberLogin(alice.id, "10.0.0", "laptop", 5000)));
  auto after = run(store().knownLogin(alice.id, "10.0.0", "laptop"));
  ASSERT_TRUE(after) << errorOf(after);
  EXPECT_TRUE(after->network);
  EXPECT_TRUE(after->device);
  auto mixed = run(store().knownLogin(alice.id, "10.0.1", "laptop"));
  EXPECT_FALSE(mixed->network);
  EXPECT_TRUE(mixed->device);
  auto other = run(store().knownLogin(bob.id, "10.0.0", "laptop"));
  EXPECT_FALSE(other->network);
  EXPECT_FALSE(other->device);
  // Remembering again is harmless.
  ASSERT_TRUE(run(store().rememberLogin(alice.id, "10.0.0", "laptop", 4000)));
  EXPECT_TRUE(run(store().knownLogin(alice.id, "10.0.0", "laptop"))->network);
}

TEST_P(StoreContract, KnownLoginsKeepTheNewestByLastUse) {
  User alice = user("alice");
  const int n = kKnownLoginsPerAccount + 10;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(run(store().rememberLogin(alice.id, "net" + std::to_string(i),
                                          "dev" + std::to_string(i), 1000 + i)));
  }
  for (int i = 0; i < n; ++i) {
    auto k =
        run(store().knownLogin(alice.id, "net" + std::to_string(i), "dev" + std::to_string(i)));
    ASSERT_TRUE(k) << errorOf(k);
    const bool kept = i >= 10;
    EXPECT_EQ(k->network, kept) << i;
    EXPECT_EQ(k->device, kept) << i;
  }
  // Using an old one again makes it the newest: the next new one pushes out the oldest other.
  ASSERT_TRUE(run(store().rememberLogin(alice.id, "net10", "dev10", 5000)));
  ASSERT_TRUE(run(store().rememberLogin(alice.id, "fresh", "fresh", 5001)));
  EXPECT_TRUE(run(store().knownLogin(alice.id, "net10", "dev10"))->network);
  EXPECT_TRUE(run(store().knownLogin(alice.id, "net10", "dev10"))->device);
  EXPECT_FALSE(run(store().knownLogin(alice.id, "net11", "dev11"))->network);
  EXPECT_FALSE(run(store().knownLogin(alice.id, "net11", "dev11"))->device);
  EXPECT_TRUE(run(store().knownLogin(alice.id, "fresh", "fresh"))->network);
}

TEST_P(StoreContract, RememberingALoginOfNoUserIsNotFound) {
  EXPECT_EQ(codeOf(run(store().rememberLogin(424242, "10.0.0", "laptop", 1))), Code::not_found);
}

// --- shared secrets ---

TEST_P(StoreContract, WrappedSecretsAreStoredOnceAndNeverReplaced) {
  EXPECT_EQ(codeOf(run(store().wrappedSecret("mac"))), Code::not_found);
  const std::string wrapped("\x00\x01wrapped\xff", 10);
  ASSERT_TRUE(run(store().putWrappedSecret("mac", wrapped)));
  EXPECT_EQ(run(store().wrappedSecret("mac")).value(), wrapped);
  EXPECT_EQ(codeOf(run(store().putWrappedSecret("mac", "other"))), Code::conflict);
  EXPECT_EQ(run(store().wrappedSecret("mac")).value(), wrapped);
  EXPECT_EQ(codeOf(run(store().wrappedSecret("other"))), Code::not_found);
}

TEST_P(StoreContract, ConcurrentFirstSecretsKeepExactlyOne) {
  std::vector<Task<Status>> racers;
  for (int i = 0; i < 8; ++i)
    racers.push_back(store().putWrappedSecret("race", "w" + std::to_string(i)));
  int won = 0;
  for (auto& r : runAll(std::move(racers))) {
    if (r)
      ++won;
    else
      EXPECT_EQ(r.error().code, Code::conflict);
  }
  EXPECT_EQ(won, 1);
  auto kept = run(store().wrappedSecret("race"));
  ASSERT_TRUE(kept) << errorOf(kept);
  EXPECT_EQ(kept->substr(0, 1), "w");
}

// --- audit: counted refusals and retention ---

AuditEvent refusal(UserId user, const std::string& ip, Millis at) {
  return AuditEvent{.user_id = user,
                    .kind = "login_failed",
                    .ip = ip,
                    .device = "dev-" + ip,
                    .detail = "wrong password",
                    .at = at};
}

TEST_P(StoreContract, CountedRefusalsShareARowPerKeyAndWindow) {
  User alice = user("alice");
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(run(store().countAudit(
        refusal(alice.id, "10.0.0." + std::to_string(i % 7), 1000 + i), "k1", 60'000)));
  }
  auto rows = run(store().auditEvents(alice.id, 100));
  ASSERT_TRUE(rows) << errorOf(rows);
  ASSERT_EQ(rows->size(), 1u);
  const AuditEvent& row = rows->front();
  EXPECT_EQ(row.count, 200);
  EXPECT_EQ(row.at, 1000);
  EXPECT_EQ(row.last_at, 1199);
  EXPECT_EQ(row.ip, "10.0.0.0");  // the first attempt's
  EXPECT_EQ(row.device, "dev-10.0.0.0");

  // Another key, and the same key after its window: new rows.
  ASSERT_TRUE(run(store().countAudit(refusal(alice.id, "10.9.9.9", 1300), "k2", 60'000)));
  ASSERT_TRUE(run(store().countAudit(refusal(alice.id, "10.0.0.1", 61'001), "k1", 60'000)));
  ASSERT_TRUE(run(store().countAudit(refusal(alice.id, "10.0.0.1", 61'002), "k1", 60'000)));
  rows = run(store().auditEvents(alice.id, 100));
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].count, 2);
  EXPECT_EQ((*rows)[0].at, 61'001);
  EXPECT_EQ((*rows)[1].count, 1);
  EXPECT_EQ((*rows)[2].count, 200);
  // Plain records are never counted into.
  AuditEvent plain = refusal(alice.id, "10.0.0.1", 61'003);
  ASSERT_TRUE(run(store().recordAudit(plain)));
  ASSERT_TRUE(run(store().recordAudit(plain)));
  rows = run(store().auditEvents(alice.id, 100));
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].count, 1);
  EXPECT_EQ((*rows)[0].last_at, 61'003);
}

TEST_P(StoreContract, CountedRefusalsAreKeptPerUser) {
  User alice = user("alice");
  for (UserId u : {alice.id, UserId{0}, alice.id, UserId{0}}) {
    ASSERT_TRUE(run(store().countAudit(refusal(u, "10.0.0.1", 1000), "k", 60'000)));
  }
  auto mine = run(store().auditEvents(alice.id, 10));
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().count, 2);
  auto all = run(store().auditEvents(0, 10));
  ASSERT_EQ(all->size(), 2u);
}

TEST_P(StoreContract, ConcurrentCountedRefusalsLoseNoCount) {
  User alice = user("alice");
  std::vector<Task<Status>> attempts;
  for (int i = 0; i < 64; ++i) {
    attempts.push_back(store().countAudit(refusal(alice.id, "10.0.0.1", 1000 + i), "k", 60'000));
  }
  for (auto& r : runAll(std::move(attempts))) EXPECT_TRUE(r) << errorOf(r);
  auto rows = run(store().auditEvents(alice.id, 100));
  ASSERT_TRUE(rows) << errorOf(rows);
  std::int64_t total = 0;
  for (const auto& r : *rows) total += r.count;
  EXPECT_EQ(total, 64);
  EXPECT_EQ(rows->size(), 1u);
}

TEST_P(StoreContract, PruningDeletesOnlyRowsOlderThanTheCutOffOldestFirst) {
  User alice = user("alice");
  for (int i = 0; i < 10; ++i) {
    AuditEvent e = refusal(alice.id, "10.0.0.1", 1000 + i * 100);
    ASSERT_TRUE(run(store().recordAudit(e)));
  }
  auto pruned = run(store().pruneAudit(1500, 3));
  ASSERT_TRUE(pruned) << errorOf(pruned);
  EXPECT_EQ(*pruned, 3);
  pruned = run(store().pruneAudit(1500, 100));
  EXPECT_EQ(*pruned, 2);
  pruned = run(store().pruneAudit(1500, 100));
  EXPECT_EQ(*pruned, 0);
  auto rows = run(store().auditEvents(alice.id, 100));
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ(rows->back().at, 1500);  // not before the cut-off: kept
}

}  // namespace parley::store_contract
