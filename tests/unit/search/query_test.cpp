#include "search/query.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::search {
namespace {

ParsedQuery ok(std::string_view q) {
  auto r = parseQuery(q);
  if (auto* e = std::get_if<QueryError>(&r)) {
    ADD_FAILURE() << q << ": " << e->what << " at " << e->offset;
    return {};
  }
  return std::get<ParsedQuery>(r);
}

QueryError bad(std::string_view q) {
  auto r = parseQuery(q);
  if (auto* e = std::get_if<QueryError>(&r)) return *e;
  ADD_FAILURE() << q << " parsed";
  return {};
}

using Kind = QueryTerm::Kind;

TEST(SearchQuery, WordsPhrasesExclusionsPrefixes) {
  auto p = ok(R"(  hello "exact  phrase" -nope -"not this" pre*)");
  ASSERT_EQ(p.terms.size(), 5u);
  EXPECT_EQ(p.terms[0].kind, Kind::word);
  EXPECT_EQ(p.terms[0].text, "hello");
  EXPECT_EQ(p.terms[0].offset, 2u);
  EXPECT_EQ(p.terms[1].kind, Kind::phrase);
  EXPECT_EQ(p.terms[1].text, "exact  phrase");
  EXPECT_TRUE(p.terms[2].excluded);
  EXPECT_EQ(p.terms[2].text, "nope");
  EXPECT_EQ(p.terms[3].kind, Kind::phrase);
  EXPECT_TRUE(p.terms[3].excluded);
  EXPECT_EQ(p.terms[4].kind, Kind::prefix);
  EXPECT_EQ(p.terms[4].text, "pre");
}

TEST(SearchQuery, Operators) {
  auto p = ok("from:@alice FROM:bob in:#general in:42 has:file has:IMAGE has:link is:reply x");
  EXPECT_EQ(p.from, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(p.in, (std::vector<std::string>{"general", "42"}));
  EXPECT_TRUE(p.has_file && p.has_image && p.has_link && p.is_reply);
  ASSERT_EQ(p.terms.size(), 1u);
}

TEST(SearchQuery, DatesAreUtcDays) {
  constexpr std::int64_t kDay = 86'400'000;
  auto p = ok("on:1970-01-02");
  EXPECT_EQ(*p.since, kDay);
  EXPECT_EQ(*p.until, 2 * kDay);
  p = ok("after:1970-01-01 before:1970-01-05");
  EXPECT_EQ(*p.since, kDay);  // after the whole day
  EXPECT_EQ(*p.until, 4 * kDay);
  EXPECT_EQ(*parseDay("2026-12-01"), 20'788);
  EXPECT_EQ(*parseDay("2024-02-29"), 19'782);
  EXPECT_FALSE(parseDay("2023-02-29"));
  EXPECT_FALSE(parseDay("2026-13-01"));
  EXPECT_FALSE(parseDay("2026-1-01"));
  EXPECT_FALSE(parseDay("1969-12-31"));
}

TEST(SearchQuery, UrlsAreWordsNotOperators) {
  auto p = ok("https://example.com/x");
  ASSERT_EQ(p.terms.size(), 1u);
  EXPECT_EQ(p.terms[0].text, "https://example.com/x");
}

TEST(SearchQuery, EveryErrorSaysWhatAndWhere) {
  struct Case {
    std::string q, what;
    std::size_t at;
  };
  const Case cases[] = {
      {"", "empty query", 0},
      {"   ", "empty query", 0},
      {R"(ab "cd)", "unbalanced quote", 3},
      {R"("")", "empty phrase", 0},
      {R"("a"b)", "a space must follow a phrase", 3},
      {R"(a"b)", "a quote inside a word", 1},
      {"x foo:bar", "unknown operator 'foo:'", 2},
      {"x -foo:bar", "unknown operator 'foo:'", 3},
      {"x -from:al", "an operator cannot be excluded", 2},
      {"from:", "'from:' needs a value", 5},
      {"from:@", "'from:' needs a username", 5},
      {"in:#", "'in:' needs a room name or id", 3},
      {"has:pdf", "'has:' takes file, image or link", 4},
      {"is:thread", "'is:' takes reply", 3},
      {"before:2026-02-30", "'before:' takes a date YYYY-MM-DD", 7},
      {"on:yesterday", "'on:' takes a date YYYY-MM-DD", 3},
      {"a*b", "'*' may only end a word", 1},
      {"x *", "'*' needs a prefix before it", 2},
      {"-nope", "a query needs a word, a phrase or a filter besides exclusions", 0},
      {std::string(1001, 'a'), "longer than 1000 bytes", 1000},
      {"ok \xff", "not UTF-8 text (or a control character)", 3},
      {"ok \xc3", "not UTF-8 text (or a control character)", 3},
      {"ok \xed\xa0\x80", "not UTF-8 text (or a control character)", 3},
      {"ok \x01", "not UTF-8 text (or a control character)", 3},
  };
  for (const auto& c : cases) {
    auto e = bad(c.q);
    EXPECT_EQ(e.what, c.what) << c.q;
    EXPECT_EQ(e.offset, c.at) << c.q;
  }
}

TEST(SearchQuery, AtMost32Terms) {
  std::string q;
  for (int i = 0; i < 32; ++i) q += "w ";
  EXPECT_EQ(ok(q).terms.size(), 32u);
  q += "x";
  auto e = bad(q);
  EXPECT_EQ(e.what, "more than 32 terms");
  EXPECT_EQ(e.offset, 64u);
  EXPECT_EQ(ok(std::string(1000, 'a')).terms.size(), 1u);
}

}  // namespace
}  // namespace parley::search
