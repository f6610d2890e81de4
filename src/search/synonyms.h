// An operator's synonym file (--search-synonyms, docs/operations.md), in the Solr /
// Elasticsearch format, applied to queries: a query word (or phrase) that a line names is
// searched as an OR group of its synonyms.
//
//   # a comment (a line whose first non-blank character is '#')
//   laptop, notebook, portable      equivalent: each finds all three
//   ny, nyc => new york             explicit: ny and nyc are searched as "new york" only
//
// Terms are folded and segmented as queries are (search/analyzer.h); a term of several words
// is a phrase. A word named on several lines gets the union of its synonyms.
//
// Thread-safe (immutable after parsing).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::search {

inline constexpr std::size_t kMaxSynonymFileBytes = 4 << 20;
inline constexpr std::size_t kMaxSynonymsPerLine = 64;
inline constexpr std::size_t kMaxSynonymTermBytes = 200;
inline constexpr std::size_t kMaxSynonymsPerTerm = 32;  // alternatives a query term gets

using Phrase = std::vector<std::string>;  // folded words

class Synonyms {
 public:
  // What `term` is searched as: nothing when no line names it (search it as it is); else the
  // alternatives, the term itself included unless an explicit line replaces it.
  const std::vector<Phrase>* find(const Phrase& term) const;
  std::size_t size() const { return map_.size(); }

 private:
  friend struct SynonymParser;
  std::map<Phrase, std::vector<Phrase>> map_;
};

struct SynonymError {
  std::size_t line = 0;  // 1-based
  std::string what;
};

std::variant<Synonyms, SynonymError> parseSynonyms(std::string_view text);

}  // namespace parley::search
