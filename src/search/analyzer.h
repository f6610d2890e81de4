// Words of a text as search sees them: found by Unicode word segmentation (ICU, so Chinese,
// Japanese and Thai are split into words too), then folded: compatibility forms, case and
// diacritics ("Élan" and "ELAN" are one word, "ß" is "ss"). Also the pieces fuzzy matching
// needs: Elasticsearch's AUTO fuzziness, deletion variants, and an edit distance.
//
// Thread-safe (each thread keeps its own ICU word iterator).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::search {

struct Word {
  std::string folded;     // UTF-8, folded
  std::size_t begin = 0;  // byte offsets of the word in the text
  std::size_t end = 0;
};

// Words longer than this many code points are cut to it (the index never needs more).
inline constexpr std::size_t kMaxWordCodePoints = 64;

// The words of `text` (UTF-8; invalid sequences never form part of a word), at most
// `max_words`, in order.
std::vector<Word> wordsOf(std::string_view text, std::size_t max_words = 4096);

// `word` folded (as wordsOf folds each word).
std::string fold(std::string_view word);

// How many code points `s` (valid UTF-8) has.
std::size_t codePoints(std::string_view s);

// The first `n` code points of `s`.
std::string firstCodePoints(std::string_view s, std::size_t n);

// Elasticsearch's fuzziness AUTO: 0 edits for words of 1-2 code points, 1 for 3-5, 2 above.
int autoFuzziness(std::size_t code_points);

// The strings made by deleting up to `max_deletions` code points of `word` (itself
// included), without duplicates. Two words within `k` edits share a variant made by at most
// `k` deletions from each (SymSpell), so these index fuzzy matching without the words.
std::vector<std::string> deletionVariants(std::string_view word, int max_deletions);

// The optimal string alignment distance (Levenshtein with adjacent transpositions, as
// Elasticsearch's fuzzy_transpositions) between two words, in code points; stops counting
// above `limit` (returns limit + 1).
int editDistance(std::string_view a, std::string_view b, int limit);

}  // namespace parley::search
