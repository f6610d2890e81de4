#include "service/search_snippet.h"

#include <algorithm>
#include <string>

namespace parley {

namespace {

constexpr std::size_t kContextBefore = 60;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// `i` moved back to the start of the UTF-8 sequence it is in.
std::size_t charStart(std::string_view s, std::size_t i) {
  while (i > 0 && i < s.size() && continuation(s[i])) --i;
  return i;
}

void addPart(std::vector<SnippetPart>& parts, std::string text, bool match) {
  if (text.empty()) return;
  if (!parts.empty() && parts.back().match == match) {
    parts.back().text += text;
  } else {
    parts.push_back({std::move(text), match});
  }
}

}  // namespace

std::vector<SnippetPart> makeSnippet(std::string_view text, const std::vector<search::Word>& words,
                                     const std::vector<std::size_t>& marked) {
  std::size_t start = 0;
  if (!marked.empty()) {
    const std::size_t first = words[marked.front()].begin;
    start = first > kContextBefore ? first - kContextBefore : 0;
    // Begin at a word when one starts in the context, else at a character.
    auto w = std::find_if(words.begin(), words.end(),
                          [&](const search::Word& x) { return x.begin >= start; });
    start = w != words.end() && w->begin <= first ? w->begin : charStart(text, start);
  }
  const std::size_t end =
      start + kSnippetBytes >= text.size() ? text.size() : charStart(text, start + kSnippetBytes);
  std::vector<SnippetPart> parts;
  if (start > 0) addPart(parts, "…", false);
  std::size_t at = start;
  for (std::size_t i : marked) {
    const auto& w = words[i];
    if (w.begin < at || w.end > end) continue;
    addPart(parts, std::string(text.substr(at, w.begin - at)), false);
    addPart(parts, std::string(text.substr(w.begin, w.end - w.begin)), true);
    at = w.end;
  }
  addPart(parts, std::string(text.substr(at, end - at)), false);
  if (end < text.size()) addPart(parts, "…", false);
  return parts;
}

}  // namespace parley
