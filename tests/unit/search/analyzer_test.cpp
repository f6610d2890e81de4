#include "search/analyzer.h"

#include <gtest/gtest.h>

namespace parley::search {
namespace {

std::vector<std::string> folded(std::string_view text) {
  std::vector<std::string> out;
  for (auto& w : wordsOf(text)) out.push_back(w.folded);
  return out;
}

TEST(SearchAnalyzer, SegmentsAndFolds) {
  EXPECT_EQ(folded("Hello, WORLD! Élan café-crème Straße"),
            (std::vector<std::string>{"hello", "world", "elan", "cafe", "creme", "strasse"}));
  auto words = wordsOf("  Grüß dich");
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].begin, 2u);
  EXPECT_EQ(words[0].end, 2u + std::string("Grüß").size());
  EXPECT_EQ(words[0].folded, "gruss");
}

TEST(SearchAnalyzer, CjkAndThaiAreSplitIntoWords) {
  auto ja = folded("東京都に住んでいます");
  EXPECT_GT(ja.size(), 1u);
  EXPECT_NE(std::find(ja.begin(), ja.end(), "東京"), ja.end());
  EXPECT_GT(folded("ภาษาไทยง่ายนิดเดียว").size(), 1u);
}

TEST(SearchAnalyzer, InvalidUtf8NeverFormsAWordAndNeverCrashes) {
  EXPECT_NO_THROW(folded("ok \xff\xfe bad \xc3"));
  EXPECT_EQ(folded("").size(), 0u);
}

TEST(SearchAnalyzer, AutoFuzzinessIsElasticsearchs) {
  EXPECT_EQ(autoFuzziness(1), 0);
  EXPECT_EQ(autoFuzziness(2), 0);
  EXPECT_EQ(autoFuzziness(3), 1);
  EXPECT_EQ(autoFuzziness(5), 1);
  EXPECT_EQ(autoFuzziness(6), 2);
}

TEST(SearchAnalyzer, EditDistanceCountsTranspositionsAsOne) {
  EXPECT_EQ(editDistance("kitten", "sitting", 5), 3);
  EXPECT_EQ(editDistance("receive", "recieve", 2), 1);
  EXPECT_EQ(editDistance("über", "uber", 2), 1);
  EXPECT_EQ(editDistance("abcdefgh", "a", 2), 3);
}

TEST(SearchAnalyzer, DeletionVariantsShareOneWithinTheDistance) {
  auto a = deletionVariants("meeting", 2);
  auto b = deletionVariants("meetign", 2);
  bool shared = false;
  for (auto& v : a) shared = shared || std::find(b.begin(), b.end(), v) != b.end();
  EXPECT_TRUE(shared);
  EXPECT_EQ(deletionVariants("ab", 0), (std::vector<std::string>{"ab"}));
  EXPECT_EQ(deletionVariants("abc", 1).size(), 4u);  // abc, ab, ac, bc
}

// Code points are deleted whole, the result is sorted (code point order) and unique, and no
// word is cut down to nothing.
TEST(SearchAnalyzer, DeletionVariantsRemoveWholeCodePointsSortedAndUnique) {
  EXPECT_EQ(deletionVariants("\u017e\u00e1b", 1),  // žáb
            (std::vector<std::string>{"\u00e1b", "\u017eb", "\u017e\u00e1", "\u017e\u00e1b"}));
  EXPECT_EQ(deletionVariants("aab", 2), (std::vector<std::string>{"a", "aa", "aab", "ab", "b"}));
  EXPECT_EQ(deletionVariants("\U0001F600", 2), (std::vector<std::string>{"\U0001F600"}));
  EXPECT_EQ(deletionVariants("abcdefgh", 2).size(), 1u + 8u + 28u);
}

}  // namespace
}  // namespace parley::search
