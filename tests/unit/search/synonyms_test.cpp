#include "search/synonyms.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "search/matcher.h"

namespace parley::search {
namespace {

Synonyms parsed(std::string_view text) {
  auto r = parseSynonyms(text);
  EXPECT_TRUE(std::holds_alternative<Synonyms>(r))
      << (std::holds_alternative<SynonymError>(r) ? std::get<SynonymError>(r).what : "");
  return std::holds_alternative<Synonyms>(r) ? std::get<Synonyms>(r) : Synonyms{};
}

SynonymError error(std::string_view text) {
  auto r = parseSynonyms(text);
  EXPECT_TRUE(std::holds_alternative<SynonymError>(r)) << text;
  return std::holds_alternative<SynonymError>(r) ? std::get<SynonymError>(r) : SynonymError{};
}

using Phrases = std::vector<Phrase>;

TEST(Synonyms, EquivalenceAndExplicitLinesCommentsAndBlanks) {
  auto s = parsed(
      "# devices\n"
      "\n"
      "Laptop, notebook ,portable\r\n"
      "  # indented comment\n"
      "ny, NYC => New York\n"
      "tv => television, tv\n");
  EXPECT_EQ(*s.find({"notebook"}), (Phrases{{"laptop"}, {"notebook"}, {"portable"}}));
  EXPECT_EQ(*s.find({"nyc"}), (Phrases{{"new", "york"}}));  // replaced
  EXPECT_EQ(*s.find({"tv"}), (Phrases{{"television"}, {"tv"}}));
  EXPECT_EQ(s.find({"new", "york"}), nullptr);  // explicit lines map one way
  EXPECT_EQ(s.find({"desk"}), nullptr);
}

TEST(Synonyms, AWordOnSeveralLinesGetsTheUnion) {
  auto s = parsed("car, auto\ncar, vehicle\n");
  EXPECT_EQ(*s.find({"car"}), (Phrases{{"car"}, {"auto"}, {"vehicle"}}));
}

TEST(Synonyms, MalformedLinesSayWhichLine) {
  EXPECT_EQ(error("a, b\n\nc, , d\n").line, 3u);
  EXPECT_EQ(error("a, b\nsolo\n").line, 2u);
  EXPECT_EQ(error("a => b => c").what, "more than one '=>'");
  EXPECT_EQ(error("=> b").line, 1u);
  EXPECT_EQ(error("a =>").line, 1u);
  EXPECT_EQ(error("a, !!!").line, 1u);  // nothing searchable
  EXPECT_EQ(error("ok, fine\na,\xff").line, 2u);
  EXPECT_EQ(error(std::string(300, 'x') + ", y").line, 1u);
  std::string many;
  for (int i = 0; i < 65; ++i) many += "w" + std::to_string(i) + ",";
  EXPECT_EQ(error(many + "end").line, 1u);
}

AnalyzedQuery analyzed(std::string_view q, const Synonyms& s) {
  auto a = std::get<AnalyzedQuery>(analyze(std::get<ParsedQuery>(parseQuery(q))));
  applySynonyms(a, s);
  return a;
}

TEST(Synonyms, AQueryTermBecomesAnOrGroup) {
  auto s = parsed("laptop, notebook\nny => new york\n");
  auto q = analyzed("cheap notebook", s);
  EXPECT_TRUE(verify(q, wordsOf("a cheap laptop")).match);
  EXPECT_TRUE(verify(q, wordsOf("a cheap notebook")).match);
  EXPECT_FALSE(verify(q, wordsOf("a cheap desk")).match);
  auto v = verify(q, wordsOf("cheap laptop"));
  EXPECT_EQ(v.marked, (std::vector<std::size_t>{0, 1}));
  auto ny = analyzed("ny", s);
  EXPECT_TRUE(verify(ny, wordsOf("flights to New York")).match);
  EXPECT_FALSE(verify(ny, wordsOf("ny")).match);  // replaced, as the format says
  // Exclusions are left as typed.
  EXPECT_TRUE(verify(analyzed("cheap -notebook", s), wordsOf("cheap laptop")).match);
  // The index sees one term with every alternative's token.
  const TermKeys keys(std::string(32, 'k'), 1);
  auto kq = keyQuery(keys, q);
  ASSERT_EQ(kq.all_of.size(), 2u);
  const auto& group = kq.all_of[1].exact;
  EXPECT_NE(std::find(group.begin(), group.end(), keys.word("laptop")), group.end());
  EXPECT_NE(std::find(group.begin(), group.end(), keys.word("notebook")), group.end());
}

}  // namespace
}  // namespace parley::search
