#include "search/matcher.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace parley::search {
namespace {

AnalyzedQuery analyzed(std::string_view q) {
  auto p = std::get<ParsedQuery>(parseQuery(q));
  auto a = analyze(p);
  EXPECT_TRUE(std::holds_alternative<AnalyzedQuery>(a)) << q;
  return std::get<AnalyzedQuery>(a);
}

Verdict check(std::string_view q, std::string_view text) {
  return verify(analyzed(q), wordsOf(text));
}

// What the index would say: the message's tokens hold every term of the keyed query.
bool indexMatches(std::string_view q, std::string_view text) {
  const TermKeys keys(std::string(32, 'k'), 7);
  auto doc = documentTokens(keys, wordsOf(text), {});
  auto has = [&](Token t) { return std::binary_search(doc.begin(), doc.end(), t); };
  auto kq = keyQuery(keys, analyzed(q));
  for (auto& t : kq.all_of) {
    if (std::none_of(t.exact.begin(), t.exact.end(), has) &&
        std::none_of(t.fuzzy.begin(), t.fuzzy.end(), has))
      return false;
  }
  return std::none_of(kq.none_of.begin(), kq.none_of.end(), has);
}

TEST(SearchMatcher, WordsAllMustMatch) {
  EXPECT_TRUE(check("quarterly report", "The Quarterly REPORT is due").match);
  EXPECT_FALSE(check("quarterly budget", "The quarterly report").match);
  EXPECT_TRUE(indexMatches("quarterly report", "The Quarterly REPORT is due"));
  EXPECT_FALSE(indexMatches("quarterly budget", "The quarterly report"));
}

TEST(SearchMatcher, FuzzyFollowsAutoAndRanksBelowExact) {
  auto v = check("meetign", "the meeting is at noon");
  EXPECT_TRUE(v.match);
  EXPECT_EQ(v.exact, 0);
  EXPECT_EQ(v.fuzzy, 1);
  EXPECT_TRUE(indexMatches("meetign", "the meeting is at noon"));
  EXPECT_EQ(check("meeting", "the meeting").exact, 1);
  EXPECT_TRUE(indexMatches("cat", "a car"));  // 3 letters: 1 edit
  EXPECT_TRUE(check("cat", "a car").match);
  EXPECT_FALSE(check("at", "a an").match);  // 2 letters: exact only
  EXPECT_FALSE(indexMatches("at", "an"));
  EXPECT_FALSE(check("cats", "a dog").match);
  EXPECT_TRUE(check("abcdef", "abxyef").match);  // 2 edits at 6 letters
  EXPECT_FALSE(check("abcdef", "axxxef").match);
}

TEST(SearchMatcher, PhrasesNeedTheWordsInOrder) {
  EXPECT_TRUE(check("\"new york\"", "flying to New York today").match);
  EXPECT_FALSE(check("\"new york\"", "york is new").match);
  EXPECT_TRUE(indexMatches("\"new york\"", "york is new"));  // the index only proposes
  auto v = check("\"new york\"", "flying to New York today");
  EXPECT_EQ(v.marked, (std::vector<std::size_t>{2, 3}));
}

TEST(SearchMatcher, ExclusionsAndPrefixes) {
  EXPECT_FALSE(check("report -draft", "draft report").match);
  EXPECT_FALSE(indexMatches("report -draft", "draft report"));
  EXPECT_TRUE(check("report -draft", "final report").match);
  EXPECT_TRUE(check("rep*", "the Report").match);
  EXPECT_TRUE(indexMatches("rep*", "the Report"));
  EXPECT_FALSE(indexMatches("rex*", "the Report"));
  EXPECT_TRUE(indexMatches("internationaliz*", "internationalization works"));
  EXPECT_TRUE(check("internationaliz*", "internationalization works").match);
}

TEST(SearchMatcher, TokensDependOnTheRoomAndHoldNoWord) {
  const std::string key(32, 'k');
  EXPECT_NE(TermKeys(key, 1).word("hello"), TermKeys(key, 2).word("hello"));
  EXPECT_NE(TermKeys(key, 1).word("hello"), TermKeys(std::string(32, 'j'), 1).word("hello"));
  EXPECT_EQ(TermKeys(key, 1).word("hello"), TermKeys(key, 1).word("hello"));
}

TEST(SearchMatcher, NothingSearchableIsAnError) {
  auto p = std::get<ParsedQuery>(parseQuery("ok !!!"));
  auto a = analyze(p);
  ASSERT_TRUE(std::holds_alternative<QueryError>(a));
  EXPECT_EQ(std::get<QueryError>(a).offset, 3u);
}

}  // namespace
}  // namespace parley::search
