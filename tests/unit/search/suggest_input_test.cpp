#include "search/suggest_input.h"

#include <gtest/gtest.h>

#include "search/terms.h"

namespace parley::search {
namespace {

SuggestInput input(std::string_view q) {
  auto r = parseSuggestInput(q);
  EXPECT_TRUE(std::holds_alternative<SuggestInput>(r)) << q;
  return std::get<SuggestInput>(r);
}

QueryError error(std::string_view q) {
  auto r = parseSuggestInput(q);
  EXPECT_TRUE(std::holds_alternative<QueryError>(r)) << q;
  return std::holds_alternative<QueryError>(r) ? std::get<QueryError>(r) : QueryError{};
}

using Ops = std::vector<std::string>;

TEST(SuggestInput, AWordCompletesAsWordPeopleRoomsAndOperators) {
  auto in = input("meeting Fr");
  EXPECT_EQ(in.head, "meeting ");
  EXPECT_EQ(in.word, "fr");
  EXPECT_EQ(in.name, "Fr");
  EXPECT_TRUE(in.users && in.rooms);
  EXPECT_EQ(in.operators, Ops{"from:"});
  EXPECT_EQ(input("Élan").word, "elan");  // folded as the index folds
}

TEST(SuggestInput, ExclusionsAndPhrasesCompleteWordsOnly) {
  auto in = input("a -lap");
  EXPECT_EQ(in.head, "a -");
  EXPECT_EQ(in.word, "lap");
  EXPECT_FALSE(in.users || in.rooms);
  EXPECT_TRUE(in.operators.empty());
  in = input("\"new yo");
  EXPECT_EQ(in.head, "\"new ");
  EXPECT_EQ(in.word, "yo");
  EXPECT_EQ(input("lap*").word, "");  // a prefix term is complete as typed
  EXPECT_EQ(input("-from:").word, "");
}

TEST(SuggestInput, OperatorsAndTheirValues) {
  auto in = input("x from:@al");
  EXPECT_EQ(in.head, "x ");
  EXPECT_TRUE(in.users);
  EXPECT_FALSE(in.rooms);
  EXPECT_EQ(in.name, "al");
  EXPECT_EQ(in.word, "");
  in = input("IN:#gen");
  EXPECT_TRUE(in.rooms);
  EXPECT_EQ(in.name, "gen");
  EXPECT_EQ(input("@bo").name, "bo");
  EXPECT_TRUE(input("#").rooms);
  EXPECT_EQ(input("has:").operators, (Ops{"has:file", "has:image", "has:link"}));
  EXPECT_EQ(input("has:im").operators, Ops{"has:image"});
  EXPECT_EQ(input("is:").operators, Ops{"is:reply"});
  EXPECT_EQ(input("hello ").operators.size(), 9u);  // after a space: every operator
  // Nothing to complete is no error.
  auto none = input("https://x");
  EXPECT_TRUE(none.operators.empty() && none.word.empty() && !none.users && !none.rooms);
  EXPECT_TRUE(input("before:2026").operators.empty());
}

TEST(SuggestInput, BadInputIsRefusedWithItsOffset) {
  EXPECT_EQ(error("").what, "empty query");
  auto e = error(std::string(101, 'a'));
  EXPECT_EQ(e.offset, 100u);
  EXPECT_TRUE(std::holds_alternative<SuggestInput>(parseSuggestInput(std::string(100, 'a'))));
  EXPECT_EQ(error("ab\xff").offset, 2u);
  EXPECT_EQ(error("a\x01").offset, 1u);
}

TEST(VocabularyWords, SealedWordsOpenOnlyForTheirTokenAndRoom) {
  const TermKeys keys(std::string(32, 'k'), 7);
  const TermKeys other_room(std::string(32, 'k'), 8);
  auto sealed = keys.sealWord("laptop");
  EXPECT_EQ(sealed.find("laptop"), std::string::npos);
  EXPECT_EQ(*keys.openWord(sealed, keys.word("laptop")), "laptop");
  EXPECT_FALSE(keys.openWord(sealed, keys.word("notebook")));
  EXPECT_FALSE(other_room.openWord(sealed, other_room.word("laptop")));
  // Padded: the size tells the length only to 16 bytes.
  EXPECT_EQ(keys.sealWord("a").size(), keys.sealWord("abcdefghijklmn").size());
  EXPECT_NE(keys.sealWord("a").size(), keys.sealWord("abcdefghijklmno").size());
}

TEST(VocabularyWords, EachDistinctWordOnceWithItsPrefixes) {
  const TermKeys keys(std::string(32, 'k'), 7);
  auto v = vocabularyOf(keys, wordsOf("Hi hi there"));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].word, keys.word("hi"));
  EXPECT_EQ(v[0].prefixes, (std::vector<Token>{keys.prefix("h"), keys.prefix("hi")}));
  EXPECT_EQ(v[1].prefixes.size(), 5u);
  auto long_word = vocabularyOf(keys, wordsOf("internationalization"));
  EXPECT_EQ(long_word[0].prefixes.size(), kMaxPrefixCodePoints);
}

}  // namespace
}  // namespace parley::search
