// canonicalEmoji: what a reaction may be (docs/api.md "Reactions").
#include "service/emoji.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Emoji, AcceptsOneEmojiAsGiven) {
  for (const char* e : {"👍", "🎉", "❤️", "1️⃣", "🇫🇷", "👩‍💻", "👍🏽", "©️",
                        "🏳️‍🌈"}) {
    auto c = canonicalEmoji(e);
    ASSERT_TRUE(c) << e;
    EXPECT_EQ(*c, e);
  }
}

TEST(Emoji, MapsShortcodesWithOrWithoutColons) {
  EXPECT_EQ(canonicalEmoji("tada"), std::optional<std::string>("🎉"));
  EXPECT_EQ(canonicalEmoji(":tada:"), std::optional<std::string>("🎉"));
  EXPECT_EQ(canonicalEmoji("+1"), std::optional<std::string>("👍"));
  EXPECT_FALSE(canonicalEmoji(":tada"));
  EXPECT_FALSE(canonicalEmoji("TADA"));
  EXPECT_FALSE(canonicalEmoji("::"));
}

TEST(Emoji, RefusesEverythingElse) {
  for (std::string bad :
       {std::string(), std::string("a"), std::string("1"), std::string("©"), std::string("#"),
        std::string("👍👍"), std::string("👍a"), std::string("\""), std::string("\\"),
        std::string("\xe2\x80\x8d"), std::string("\xef\xb8\x8f"), std::string("\xf0\x9f\x91"),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xe2\x80\xae"),
        std::string("👍\0", 5), std::string(40, 'x'),
        std::string("🏳️‍🌈🏳️‍🌈🏳️‍🌈")}) {
    EXPECT_FALSE(canonicalEmoji(bad)) << bad;
  }
}

}  // namespace
}  // namespace parley
