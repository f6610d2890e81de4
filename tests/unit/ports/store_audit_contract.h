// The Store contract for the audit trail's hash chain and its search (src/ports/store.h,
// "audit"). Included by store_contract.h, so every adapter runs it. The chain function here
// is a plain, readable stand-in for the keyed hash (service/audit_chain.h): the Store only
// has to call it with the right previous hash, inside the append.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

// Names its input, so a wrong link shows in the failure message.
inline std::string testLink(std::string_view prev, const AuditEvent& e) {
  return std::to_string(std::hash<std::string>{}(std::string(prev) + "|" + e.kind + "|" + e.ip +
                                                 "|" + std::to_string(e.at)));
}

inline AuditEvent auditOf(UserId user, const std::string& kind, const std::string& ip, Millis at) {
  return AuditEvent{.user_id = user, .kind = kind, .ip = ip, .device = "dev", .at = at};
}

// Every row in id order.
inline std::vector<AuditEvent> wholeChain(Store& s) {
  auto rows = run(s.auditChainAfter(0, 100'000));
  EXPECT_TRUE(rows) << errorOf(rows);
  return rows ? *rows : std::vector<AuditEvent>{};
}

// Each row names the one before it and its hash is testLink over that: one line, no fork.
inline void expectLinked(const std::vector<AuditEvent>& rows, const std::string& first_prev) {
  std::string prev = first_prev;
  for (const auto& r : rows) {
    EXPECT_EQ(r.prev_hash, prev) << "row " << r.id;
    EXPECT_EQ(r.hash, testLink(r.prev_hash, r)) << "row " << r.id;
    prev = r.hash;
  }
}

TEST_P(StoreContract, AuditRowsWithoutAChainAreStoredUnchained) {
  User alice = user("alice");
  ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "login", "10.0.0.1", 1000))));
  auto rows = wholeChain(store());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].hash, "");
  EXPECT_EQ(rows[0].prev_hash, "");
  // The chain starts at the first row written with one (after the migration, in practice).
  store().setAuditChain(testLink);
  ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "login", "10.0.0.2", 2000))));
  rows = wholeChain(store());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].prev_hash, "");
  EXPECT_EQ(rows[1].hash, testLink("", rows[1]));
}

TEST_P(StoreContract, AuditRowsAreChainedAndCountedRepeatsAddNoLink) {
  store().setAuditChain(testLink);
  User alice = user("alice");
  ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "login", "10.0.0.1", 1000))));
  ASSERT_TRUE(run(store().countAudit(refusal(alice.id, "10.0.0.2", 1100), "k", 60'000)));
  ASSERT_TRUE(run(store().countAudit(refusal(alice.id, "10.0.0.2", 1200), "k", 60'000)));
  ASSERT_TRUE(run(store().recordAudit(auditOf(0, "login_failed", "10.0.0.3", 1300))));
  auto rows = wholeChain(store());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].count, 2);
  expectLinked(rows, "");
}

TEST_P(StoreContract, ConcurrentAuditAppendsNeverForkTheChain) {
  store().setAuditChain(testLink);
  User alice = user("alice");
  std::vector<Task<Status>> writes;
  for (int i = 0; i < 60; ++i) {
    const std::string ip = "10.0." + std::to_string(i % 7) + ".1";
    if (i % 3 == 0) {
      writes.push_back(store().countAudit(refusal(alice.id, ip, 5000 + i), "k" + ip, 60'000));
    } else {
      writes.push_back(store().recordAudit(auditOf(alice.id, "login", ip, 5000 + i)));
    }
  }
  for (const auto& st : runAll(std::move(writes), 4)) ASSERT_TRUE(st) << errorOf(st);
  auto rows = wholeChain(store());
  EXPECT_EQ(rows.size(), 40u + 7u);
  expectLinked(rows, "");
}

TEST_P(StoreContract, PruningKeepsTheChainWholeAndMovesTheAnchor) {
  User alice = user("alice");
  ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "legacy", "10.0.0.1", 100))));
  auto none = run(store().auditAnchor());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Code::not_found);
  store().setAuditChain(testLink);
  // Times out of id order (clocks of two nodes): pruning stops at the first row not old enough.
  for (Millis at : {1000, 1100, 1200, 3000, 1300, 1400}) {
    ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "login", "10.0.0.2", at))));
  }
  auto before = wholeChain(store());
  ASSERT_EQ(before.size(), 7u);
  // The unchained row goes first and leaves no anchor.
  ASSERT_EQ(run(store().pruneAudit(2000, 1)).value(), 1);
  EXPECT_FALSE(run(store().auditAnchor()));
  ASSERT_EQ(run(store().pruneAudit(2000, 2)).value(), 2);
  auto anchor = run(store().auditAnchor());
  ASSERT_TRUE(anchor) << errorOf(anchor);
  EXPECT_EQ(anchor->through_id, before[2].id);
  EXPECT_EQ(anchor->through_at, 1100);
  EXPECT_EQ(anchor->hash, before[2].hash);
  EXPECT_EQ(anchor->mac, testLink(anchor->hash, auditAnchorEvent(*anchor)));
  ASSERT_EQ(run(store().pruneAudit(2000, 100)).value(), 1);  // stops at 3000, keeps 1300
  auto after = wholeChain(store());
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].at, 3000);
  expectLinked(after, run(store().auditAnchor())->hash);
  EXPECT_EQ(run(store().pruneAudit(2000, 100)).value(), 0);
}

TEST_P(StoreContract, AuditSearchFiltersAndPages) {
  User alice = user("alice");
  User bob = user("bob");
  ASSERT_TRUE(run(store().recordAudit(auditOf(alice.id, "login", "10.1.2.3", 1000))));
  ASSERT_TRUE(run(store().recordAudit(auditOf(bob.id, "login_failed", "10.1.9.9", 2000))));
  AuditEvent odd = auditOf(alice.id, "password_changed", "2001:db8::1", 3000);
  odd.detail = "100%_Sure";
  ASSERT_TRUE(run(store().recordAudit(odd)));
  ASSERT_TRUE(run(store().recordAudit(auditOf(bob.id, "login", "10.1.2.30", 4000))));
  auto q = [&](AuditQuery query) {
    auto r = run(store().searchAudit(std::move(query)));
    EXPECT_TRUE(r) << errorOf(r);
    std::vector<Millis> ats;
    for (const auto& e : *r) ats.push_back(e.at);
    return ats;
  };
  EXPECT_EQ(q({}), (std::vector<Millis>{4000, 3000, 2000, 1000}));
  EXPECT_EQ(q({.kind = "login"}), (std::vector<Millis>{4000, 1000}));
  EXPECT_EQ(q({.user_id = alice.id}), (std::vector<Millis>{3000, 1000}));
  EXPECT_EQ(q({.ip = "10.1.2.3"}), (std::vector<Millis>{1000}));
  EXPECT_EQ(q({.ip = "10.1.2."}), (std::vector<Millis>{4000, 1000}));
  EXPECT_EQ(q({.ip = "2001:db8:"}), (std::vector<Millis>{3000}));
  EXPECT_EQ(q({.text = "FAILED"}), (std::vector<Millis>{2000}));
  EXPECT_EQ(q({.text = "0%_s"}), (std::vector<Millis>{3000}));  // wildcards are literal
  EXPECT_EQ(q({.text = "0%_x"}), (std::vector<Millis>{}));
  EXPECT_EQ(q({.since = 2000, .until = 4000}), (std::vector<Millis>{3000, 2000}));
  auto first = run(store().searchAudit({.limit = 2}));
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(q({.before_id = first->back().id, .limit = 2}), (std::vector<Millis>{2000, 1000}));
}

}  // namespace parley::store_contract
