// The audit chain's verifier (service/audit_chain.h) on a real SQLite store, tampered with
// through SQLite directly as an attacker holding the file would; and the login scoring
// (service/login_risk.h).
#include "service/audit_chain.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "adapters/sqlite/sqlite_store.h"
#include "service/login_risk.h"
#include "support/await.h"
#include "support/test_node.h"

namespace parley {
namespace {

const std::string kKey(32, 'k');

struct Trail {
  std::filesystem::path dir = testing::freshDir();
  StorePtr store = sqlite::openSqliteStore(dir / "parley.db").value();

  Trail() {
    store->setAuditChain(makeAuditChain(kKey));
    for (int i = 0; i < 6; ++i) {
      AuditEvent e{.user_id = 1 + i % 2,
                   .kind = i % 3 == 0 ? "login_failed" : "login",
                   .ip = "10.0.0." + std::to_string(i),
                   .device = "dev",
                   .at = 1000 + i};
      EXPECT_TRUE(testing::await(store->recordAudit(e)));
    }
  }
  // Runs SQL on the file behind the store's back.
  void tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "parley.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  AuditVerdict verify(const std::string& key = kKey, int page = 1000) {
    return testing::await(verifyAuditChain(*store, key, page)).value();
  }
};

TEST(AuditChain, HashCoversEveryFieldButIdCountAndLastAt) {
  AuditEvent e{.user_id = 1, .kind = "login", .ip = "1", .device = "d", .detail = "x", .at = 5};
  const std::string h = auditHash(kKey, "prev", e);
  EXPECT_EQ(h.size(), 64u);
  AuditEvent same = e;
  same.id = 99;
  same.count = 7;
  same.last_at = 77;
  EXPECT_EQ(auditHash(kKey, "prev", same), h);
  EXPECT_NE(auditHash(kKey, "other", e), h);
  EXPECT_NE(auditHash(std::string(32, 'j'), "prev", e), h);
  for (auto change : std::vector<std::function<void(AuditEvent&)>>{
           [](AuditEvent& x) { x.user_id = 2; }, [](AuditEvent& x) { x.kind = "logi"; },
           [](AuditEvent& x) { x.ip = "2"; }, [](AuditEvent& x) { x.device = "e"; },
           [](AuditEvent& x) { x.detail = "y"; }, [](AuditEvent& x) { x.at = 6; }}) {
    AuditEvent other = e;
    change(other);
    EXPECT_NE(auditHash(kKey, "prev", other), h);
  }
}

TEST(AuditChain, AnUntouchedTrailIsIntactAcrossPages) {
  Trail t;
  auto v = t.verify(kKey, 4);
  EXPECT_EQ(v.problem, "");
  EXPECT_EQ(v.events, 6);
  EXPECT_EQ(v.newest.id, 6);
}

TEST(AuditChain, AnEditedRowIsAltered) {
  Trail t;
  t.tamper("UPDATE audit_events SET detail = 'nothing to see' WHERE id = 3");
  auto v = t.verify();
  EXPECT_EQ(v.problem, "altered");
  EXPECT_EQ(v.first_bad.id, 3);
  EXPECT_EQ(v.first_bad.at, 1002);
  EXPECT_EQ(v.events, 2);
}

TEST(AuditChain, ADeletedRowIsRemoved) {
  Trail t;
  t.tamper("DELETE FROM audit_events WHERE id = 3");
  auto v = t.verify();
  EXPECT_EQ(v.problem, "removed");
  EXPECT_EQ(v.first_bad.id, 4);
}

TEST(AuditChain, SwappedRowsAreReordered) {
  Trail t;
  t.tamper(
      "UPDATE audit_events SET id = -1 WHERE id = 2; UPDATE audit_events SET id = 2 WHERE id = "
      "3; UPDATE audit_events SET id = 3 WHERE id = -1;");
  auto v = t.verify();
  EXPECT_EQ(v.problem, "reordered");
  EXPECT_EQ(v.first_bad.id, 2);
}

TEST(AuditChain, AWrongKeyFindsTheFirstRowAltered) {
  Trail t;
  auto v = t.verify(std::string(32, 'x'));
  EXPECT_EQ(v.problem, "altered");
  EXPECT_EQ(v.first_bad.id, 1);
}

TEST(AuditChain, PruningKeepsItIntactAndAMovedAnchorIsCaught) {
  Trail t;
  ASSERT_EQ(testing::await(t.store->pruneAudit(1002, 100)).value(), 2);
  auto v = t.verify();
  EXPECT_EQ(v.problem, "");
  EXPECT_EQ(v.events, 4);
  ASSERT_TRUE(v.anchor);
  EXPECT_EQ(v.anchor->through_id, 2);
  // Deleting the next head row and pointing the anchor at it cannot be done without the key.
  t.tamper(
      "DELETE FROM audit_events WHERE id = 3; UPDATE audit_anchor SET through_id = 3, hash = "
      "(SELECT prev_hash FROM audit_events WHERE id = 4)");
  v = t.verify();
  EXPECT_EQ(v.problem, "anchor altered");
  // Without the anchor the head no longer starts the chain.
  t.tamper("DELETE FROM audit_anchor");
  v = t.verify();
  EXPECT_EQ(v.problem, "removed");
  EXPECT_EQ(v.first_bad.id, 4);
}

TEST(AuditChain, RowsFromBeforeTheChainAreCountedApart) {
  auto dir = testing::freshDir();
  StorePtr store = sqlite::openSqliteStore(dir / "parley.db").value();
  AuditEvent old{.user_id = 1, .kind = "login", .ip = "1", .at = 10};
  ASSERT_TRUE(testing::await(store->recordAudit(old)));
  store->setAuditChain(makeAuditChain(kKey));
  ASSERT_TRUE(testing::await(store->recordAudit(old)));
  auto v = testing::await(verifyAuditChain(*store, kKey)).value();
  EXPECT_EQ(v.problem, "");
  EXPECT_EQ(v.unchained, 1);
  EXPECT_EQ(v.events, 1);
}

TEST(LoginRisk, WeightsAndThreshold) {
  EXPECT_FALSE(scoreLogin({}).suspicious());
  EXPECT_EQ(scoreLogin({.new_device = true}).score, 0);
  EXPECT_EQ(scoreLogin({.new_device = true, .new_network = true}).score, 40);
  EXPECT_FALSE(scoreLogin({.new_device = true, .new_network = true}).suspicious());
  auto burst = scoreLogin({.new_device = true, .new_network = true, .failures_before = 3});
  EXPECT_EQ(burst.score, 70);
  EXPECT_TRUE(burst.suspicious());
  EXPECT_EQ(burst.reasons, (std::vector<std::string>{"new_device_and_network", "failures_before"}));
  EXPECT_EQ(scoreLogin({.failures_before = 2}).score, 0);
  EXPECT_TRUE(scoreLogin({.failures_before = 3, .locked_before = true}).suspicious());
  EXPECT_EQ(scoreLogin({.accounts_from_ip = 3, .recent_logins = 5}).score, 50);
}

}  // namespace
}  // namespace parley
