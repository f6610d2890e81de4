// The Store contract for profiles and finding people (src/ports/store.h, "profiles").
// Included by store_contract.h, so every adapter runs it.
#pragma once

#include "ports/store_contract.h"

namespace parley::store_contract {

inline Profile profileFor(UserId id, const std::string& name, const std::string& key) {
  return Profile{.user_id = id,
                 .display_name = name,
                 .display_key = key,
                 .status_text = "on a train",
                 .status_emoji = "🚆",
                 .time_zone = "Europe/Paris",
                 .updated_at = 77};
}

inline std::vector<std::string> usernamesOf(const std::vector<Profile>& people) {
  std::vector<std::string> out;
  for (const auto& p : people) out.push_back(p.username);
  return out;
}

TEST_P(StoreContract, AProfileStartsEmptyAndIsReplacedWhole) {
  User ada = user("Ada");
  auto empty = run(store().profileOf(ada.id));
  ASSERT_TRUE(empty) << errorOf(empty);
  EXPECT_EQ(empty->username, "Ada");
  EXPECT_EQ(empty->display_name, "");
  EXPECT_EQ(empty->updated_at, 0);
  ASSERT_TRUE(run(store().putProfile(profileFor(ada.id, "Ada L.", "ada l."))));
  auto set = run(store().profileOf(ada.id));
  EXPECT_EQ(set->display_name, "Ada L.");
  EXPECT_EQ(set->display_key, "ada l.");
  EXPECT_EQ(set->status_text, "on a train");
  EXPECT_EQ(set->status_emoji, "🚆");
  EXPECT_EQ(set->time_zone, "Europe/Paris");
  EXPECT_EQ(set->updated_at, 77);
  Profile cleared{.user_id = ada.id, .time_zone = "UTC", .updated_at = 78};
  ASSERT_TRUE(run(store().putProfile(cleared)));
  auto after = run(store().profileOf(ada.id));
  EXPECT_EQ(after->display_name, "");
  EXPECT_EQ(after->status_emoji, "");
  EXPECT_EQ(after->time_zone, "UTC");
}

TEST_P(StoreContract, ProfilesOfNobodyAreNotFound) {
  EXPECT_EQ(codeOf(run(store().profileOf(424242))), Code::not_found);
  EXPECT_EQ(codeOf(run(store().putProfile(profileFor(424242, "x", "x")))), Code::not_found);
}

TEST_P(StoreContract, AnAvatarIsSetReplacedAndRemovedWithItsImages) {
  User ada = user("Ada");
  EXPECT_EQ(codeOf(run(store().avatarImage(ada.id, 64))), Code::not_found);
  ASSERT_TRUE(run(store().putProfile(profileFor(ada.id, "Ada L.", "ada l."))));
  std::string big(70'000, '\xff');  // bytes, embedded NULs and all
  big[5] = '\0';
  const std::string small("small\0one", 9);
  ASSERT_TRUE(run(store().setAvatar(ada.id, "av1", {{64, small}, {256, big}}, 90)));
  auto p = run(store().profileOf(ada.id));
  EXPECT_EQ(p->avatar, "av1");
  EXPECT_EQ(p->updated_at, 90);
  EXPECT_EQ(p->display_name, "Ada L.");  // the rest of the profile is kept
  EXPECT_EQ(run(store().avatarImage(ada.id, 64)).value(), small);
  EXPECT_EQ(run(store().avatarImage(ada.id, 256)).value(), big);
  EXPECT_EQ(codeOf(run(store().avatarImage(ada.id, 128))), Code::not_found);
  // A profile patch keeps the avatar; a new avatar replaces every image of the old one.
  ASSERT_TRUE(run(store().putProfile(profileFor(ada.id, "Ada", "ada"))));
  EXPECT_EQ(run(store().profileOf(ada.id))->avatar, "av1");
  ASSERT_TRUE(run(store().setAvatar(ada.id, "av2", {{256, "two"}}, 91)));
  EXPECT_EQ(run(store().profileOf(ada.id))->avatar, "av2");
  EXPECT_EQ(codeOf(run(store().avatarImage(ada.id, 64))), Code::not_found);
  EXPECT_EQ(run(store().avatarImage(ada.id, 256)).value(), "two");
  // In search results too.
  auto found = run(store().findPeople(PeopleQuery{.prefix = "ada", .limit = 5}));
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().avatar, "av2");
  // Removed: no id, no images; an account that never set a profile can have one too.
  ASSERT_TRUE(run(store().setAvatar(ada.id, "", {}, 92)));
  EXPECT_EQ(run(store().profileOf(ada.id))->avatar, "");
  EXPECT_EQ(codeOf(run(store().avatarImage(ada.id, 256))), Code::not_found);
  User bea = user("bea");
  ASSERT_TRUE(run(store().setAvatar(bea.id, "b1", {{64, "b"}}, 93)));
  EXPECT_EQ(run(store().profileOf(bea.id))->avatar, "b1");
  EXPECT_EQ(codeOf(run(store().setAvatar(424242, "x", {{64, "x"}}, 94))), Code::not_found);
}

TEST_P(StoreContract, SharingARoomIsMembershipNow) {
  User a = user("alice"), b = user("bob"), c = user("carol");
  Room room = group(a.id);
  ASSERT_TRUE(run(store().addMember(room.id, b.id, Role::member, 1)));
  EXPECT_TRUE(run(store().shareRoom(a.id, b.id)).value());
  EXPECT_TRUE(run(store().shareRoom(b.id, a.id)).value());
  EXPECT_FALSE(run(store().shareRoom(a.id, c.id)).value());
  ASSERT_TRUE(run(store().removeMember(room.id, b.id)));
  EXPECT_FALSE(run(store().shareRoom(a.id, b.id)).value());
}

TEST_P(StoreContract, FindPeopleByUsernameOrDisplayNamePrefixInPages) {
  User ann = user("Ann"), anton = user("anton"), bob = user("bob"), cy = user("cy");
  user("dora");
  ASSERT_TRUE(run(store().putProfile(profileFor(bob.id, "Annabel B", "annabel b"))));
  ASSERT_TRUE(run(store().putProfile(profileFor(cy.id, "Émile", "émile"))));
  auto an = run(store().findPeople(PeopleQuery{.prefix = "an", .limit = 10}));
  ASSERT_TRUE(an) << errorOf(an);
  EXPECT_EQ(usernamesOf(*an), (std::vector<std::string>{"Ann", "anton", "bob"}));
  EXPECT_EQ((*an)[2].display_name, "Annabel B");
  auto first = run(store().findPeople(PeopleQuery{.prefix = "an", .limit = 2}));
  EXPECT_EQ(usernamesOf(*first), (std::vector<std::string>{"Ann", "anton"}));
  auto rest = run(store().findPeople(PeopleQuery{.prefix = "an", .after = "anton", .limit = 2}));
  EXPECT_EQ(usernamesOf(*rest), (std::vector<std::string>{"bob"}));
  EXPECT_EQ(usernamesOf(*run(store().findPeople(PeopleQuery{.prefix = "ém", .limit = 5}))),
            (std::vector<std::string>{"cy"}));
  EXPECT_EQ(run(store().findPeople(PeopleQuery{.prefix = "", .limit = 50}))->size(), 5u);
  // LIKE metacharacters are plain characters in a prefix.
  EXPECT_TRUE(run(store().findPeople(PeopleQuery{.prefix = "%", .limit = 5}))->empty());
  EXPECT_TRUE(run(store().findPeople(PeopleQuery{.prefix = "_", .limit = 5}))->empty());
  (void)ann;
  (void)anton;
}

TEST_P(StoreContract, FindPeopleSkipsDisabledAndCanKeepToSharers) {
  User a = user("amy"), b = user("abe"), c = user("al"), d = user("ava");
  Room room = group(a.id);
  ASSERT_TRUE(run(store().addMember(room.id, b.id, Role::member, 1)));
  ASSERT_TRUE(run(store().addMember(room.id, d.id, Role::member, 1)));
  ASSERT_TRUE(run(store().setUserDisabled(d.id, true)));
  EXPECT_EQ(usernamesOf(*run(store().findPeople(PeopleQuery{.prefix = "a", .limit = 10}))),
            (std::vector<std::string>{"abe", "al", "amy"}));
  auto shared =
      run(store().findPeople(PeopleQuery{.prefix = "a", .limit = 10, .shared_with = a.id}));
  ASSERT_TRUE(shared) << errorOf(shared);
  EXPECT_EQ(usernamesOf(*shared), (std::vector<std::string>{"abe", "amy"}));
  EXPECT_TRUE(run(store().findPeople(PeopleQuery{.prefix = "a", .limit = 10, .shared_with = c.id}))
                  ->empty());
}

}  // namespace parley::store_contract
