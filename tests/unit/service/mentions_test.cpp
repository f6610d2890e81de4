// The mention parser (service/mentions.h): what counts as a mention and what does not.
#include "service/mentions.h"

#include <gtest/gtest.h>

#include <string>

namespace parley {
namespace {

using Names = std::vector<std::string>;

Names names(std::string_view text) { return mentions::parse(text).names; }

TEST(Mentions, NamesAreFoundCaseInsensitivelyOnceEach) {
  EXPECT_EQ(names("hi @Bob and @alice, @BOB again"), (Names{"bob", "alice"}));
  EXPECT_EQ(names("@bob"), Names{"bob"});
  EXPECT_EQ(names("(@bob) @bob. @carol- @dave_! @e.f-g"), (Names{"bob", "carol", "dave", "e.f-g"}));
  EXPECT_EQ(names("«@bob»"), Names{"bob"});
}

TEST(Mentions, WhatIsNotAMention) {
  EXPECT_TRUE(names("mail me at bob@example.com").empty());
  EXPECT_TRUE(names("@@bob @ bob @b @" + std::string(33, 'x')).empty());
  EXPECT_EQ(names("你好@bob"), Names{"bob"});  // scripts without spaces
  EXPECT_EQ(names("@" + std::string(32, 'x')), Names{std::string(32, 'x')});
}

TEST(Mentions, RoomAndHereAreFlagsNotNames) {
  auto p = mentions::parse("@room look, @HERE too");
  EXPECT_TRUE(p.room);
  EXPECT_TRUE(p.here);
  EXPECT_TRUE(p.names.empty());
  p = mentions::parse("@roomy @herein");
  EXPECT_FALSE(p.room);
  EXPECT_FALSE(p.here);
  EXPECT_EQ(p.names, (Names{"roomy", "herein"}));
}

TEST(Mentions, CodeIsSkipped) {
  EXPECT_EQ(names("`@bob` @carol"), Names{"carol"});
  EXPECT_EQ(names("``a ` @bob`` @carol"), Names{"carol"});
  EXPECT_EQ(names("`unclosed @bob"), Names{"bob"});
  EXPECT_EQ(names("a `span\n@bob` b"), Names{});
  EXPECT_EQ(names("before @ann\n```js\n@bob\n```\nafter @carol"), (Names{"ann", "carol"}));
  EXPECT_EQ(names("~~~~\n@bob\n~~~\nstill code @dan\n~~~~\n@carol"), Names{"carol"});
  EXPECT_EQ(names("```\n@bob never closed"), Names{});
  EXPECT_FALSE(mentions::parse("```\n@room\n```").room);
  EXPECT_EQ(names("``` not a fence` @bob"), Names{"bob"});
}

TEST(Mentions, AtMostFiftyNames) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "@user" + std::to_string(i) + " ";
  auto n = names(text);
  ASSERT_EQ(n.size(), 50u);
  EXPECT_EQ(n.front(), "user0");
  EXPECT_EQ(n.back(), "user49");
}

}  // namespace
}  // namespace parley
