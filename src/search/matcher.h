// A parsed query made ready to run: its terms analyzed once (ICU, folding), keyed per room
// for the index, and checked again in memory against a message's decrypted words — the
// index proposes candidates (a keyed token can collide, a deletion variant can reach a
// word further than the fuzziness allows, a stale posting can hold an edited message's old
// words), the check decides, and marks the words to highlight.
//
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "search/analyzer.h"
#include "search/query.h"
#include "search/synonyms.h"
#include "search/terms.h"

namespace parley::search {

struct AnalyzedTerm {
  QueryTerm::Kind kind = QueryTerm::Kind::word;
  bool excluded = false;
  std::vector<std::string> words;  // folded; one for word and prefix, one or more for phrase
  int fuzziness = 0;               // edits allowed (word terms only)
  std::size_t offset = 0;
  // Synonyms (applySynonyms): the term also matches any of these word sequences, exactly;
  // `primary` false when an explicit mapping replaced `words` by them.
  std::vector<Phrase> alternatives;
  bool primary = true;
};

struct AnalyzedQuery {
  std::vector<AnalyzedTerm> terms;
  DocFlags required;  // has:file, has:image, has:link
};

// QueryError (with the term's offset) for a term with nothing searchable in it ("!!!").
std::variant<AnalyzedQuery, QueryError> analyze(const ParsedQuery& q);

// One required term as the index sees it: a message matches when it has any of `exact` or
// `fuzzy`; it counts as an exact match when it has one of `exact`.
struct KeyedTerm {
  std::vector<Token> exact;
  std::vector<Token> fuzzy;
};

struct KeyedQuery {
  std::vector<KeyedTerm> all_of;
  std::vector<Token> none_of;  // a message with any of these is left out
};

// Each positive word or phrase term that a line of `synonyms` names becomes an OR group of
// its synonyms (exclusions and prefixes are left as they are).
void applySynonyms(AnalyzedQuery& q, const Synonyms& synonyms);

KeyedQuery keyQuery(const TermKeys& keys, const AnalyzedQuery& q);

struct Verdict {
  bool match = false;
  int exact = 0;                    // positive terms matched exactly
  int fuzzy = 0;                    // positive terms matched only within their fuzziness
  std::vector<std::size_t> marked;  // indexes into the words, ascending, distinct
};

// The in-memory check of a message's words (flags are the caller's to check).
Verdict verify(const AnalyzedQuery& q, const std::vector<Word>& words);

}  // namespace parley::search
