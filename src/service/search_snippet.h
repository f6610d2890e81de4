// The snippet of a search hit: a window of the decrypted text (made in memory, never
// stored) around the first matched word, split into parts so that a client can mark the
// matched words without parsing markup.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "search/analyzer.h"
#include "service/search.h"

namespace parley {

inline constexpr std::size_t kSnippetBytes = 240;

// `words`: the words of `text` (search::wordsOf); `marked`: indexes of those to mark,
// ascending.
std::vector<SnippetPart> makeSnippet(std::string_view text, const std::vector<search::Word>& words,
                                     const std::vector<std::size_t>& marked);

}  // namespace parley
