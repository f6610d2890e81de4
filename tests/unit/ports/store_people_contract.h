// The Store contract for people (src/ports/store.h, "people"): server admins as a role,
// password hashes, and reset links (single use, expiry, replaced by a newer one). Included
// by store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

TEST_P(StoreContract, AdminIsARoleOfTheAccount) {
  User alice = user("alice");
  EXPECT_FALSE(alice.admin);
  ASSERT_TRUE(run(store().setUserAdmin(alice.id, true)));
  EXPECT_TRUE(run(store().userById(alice.id))->admin);
  EXPECT_TRUE(run(store().userByName("ALICE"))->admin);
  ASSERT_TRUE(run(store().setUserAdmin(alice.id, false)));
  EXPECT_FALSE(run(store().userById(alice.id))->admin);
  EXPECT_EQ(codeOf(run(store().setUserAdmin(424242, true))), Code::not_found);
}

TEST_P(StoreContract, OnlyTheOnlyAccountClaimsFirstAdmin) {
  User first = user("first");
  auto claimed = run(store().claimFirstAdmin(first.id));
  ASSERT_TRUE(claimed) << errorOf(claimed);
  EXPECT_TRUE(*claimed);
  EXPECT_TRUE(run(store().userById(first.id))->admin);
  User second = user("second");
  EXPECT_FALSE(run(store().claimFirstAdmin(second.id)).value());
  EXPECT_FALSE(run(store().userById(second.id))->admin);
}

TEST_P(StoreContract, UsersPageInIdOrder) {
  std::vector<UserId> ids;
  for (const char* n : {"ann", "ben", "cat", "dan"}) ids.push_back(user(n).id);
  auto page = run(store().usersPage(0, 3));
  ASSERT_TRUE(page) << errorOf(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].id, ids[0]);
  EXPECT_EQ((*page)[2].username, "cat");
  auto rest = run(store().usersPage((*page)[2].id, 3));
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, ids[3]);
}

TEST_P(StoreContract, PasswordHashIsReplaced) {
  User alice = user("alice");
  ASSERT_TRUE(run(store().setPasswordHash(alice.id, "new-hash")));
  EXPECT_EQ(run(store().userById(alice.id))->password_hash, "new-hash");
  EXPECT_EQ(codeOf(run(store().setPasswordHash(424242, "x"))), Code::not_found);
}

TEST_P(StoreContract, AResetLinkWorksOnceBeforeItExpires) {
  User alice = user("alice");
  const std::string token(32, '\x07');
  ASSERT_TRUE(run(store().createPasswordReset(alice.id, token, 1000, 2000)));
  // Expired at 2000 exactly: refused, and nothing changes.
  EXPECT_EQ(codeOf(run(store().usePasswordReset(token, 2000, "late"))), Code::not_found);
  EXPECT_NE(run(store().userById(alice.id))->password_hash, "late");
  auto used = run(store().usePasswordReset(token, 1999, "reset-hash"));
  ASSERT_TRUE(used) << errorOf(used);
  EXPECT_EQ(*used, alice.id);
  EXPECT_EQ(run(store().userById(alice.id))->password_hash, "reset-hash");
  EXPECT_EQ(codeOf(run(store().usePasswordReset(token, 1999, "again"))), Code::not_found);
  EXPECT_EQ(run(store().userById(alice.id))->password_hash, "reset-hash");
  EXPECT_EQ(codeOf(run(store().usePasswordReset(std::string(32, 'x'), 1500, "h"))),
            Code::not_found);
  EXPECT_EQ(codeOf(run(store().createPasswordReset(424242, std::string(32, 'y'), 1, 2))),
            Code::not_found);
}

TEST_P(StoreContract, ANewerResetLinkReplacesTheOlder) {
  User alice = user("alice");
  User bob = user("bob");
  const std::string older(32, 'a'), newer(32, 'b'), bobs(32, 'c');
  ASSERT_TRUE(run(store().createPasswordReset(alice.id, older, 1000, 9000)));
  ASSERT_TRUE(run(store().createPasswordReset(bob.id, bobs, 1000, 9000)));
  ASSERT_TRUE(run(store().createPasswordReset(alice.id, newer, 1100, 9000)));
  EXPECT_EQ(codeOf(run(store().usePasswordReset(older, 1200, "h1"))), Code::not_found);
  EXPECT_EQ(run(store().usePasswordReset(newer, 1200, "h2")).value(), alice.id);
  EXPECT_EQ(run(store().usePasswordReset(bobs, 1200, "h3")).value(), bob.id);  // untouched
}

TEST_P(StoreContract, ConcurrentUsesOfOneResetLinkSucceedOnce) {
  User alice = user("alice");
  const std::string token(32, 'r');
  ASSERT_TRUE(run(store().createPasswordReset(alice.id, token, 1000, 9000)));
  std::vector<Task<Result<UserId>>> racers;
  for (int i = 0; i < 8; ++i)
    racers.push_back(store().usePasswordReset(token, 1500, "h" + std::to_string(i)));
  auto results = runAll(std::move(racers));
  int ok = 0;
  for (auto& r : results) ok += r ? 1 : 0;
  EXPECT_EQ(ok, 1);
}

}  // namespace parley::store_contract
