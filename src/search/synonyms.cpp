#include "search/synonyms.h"

#include <algorithm>

#include "search/analyzer.h"
#include "search/query.h"

namespace parley::search {

const std::vector<Phrase>* Synonyms::find(const Phrase& term) const {
  auto it = map_.find(term);
  return it == map_.end() ? nullptr : &it->second;
}

struct SynonymParser {
  Synonyms out;
  std::size_t line = 0;
  std::string error;

  bool fail(std::string what) {
    error = std::move(what);
    return false;
  }

  // The terms of one side of a line: comma-separated, each folded to its words.
  bool terms(std::string_view side, std::vector<Phrase>& into) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = side.find(',', start);
      std::string_view raw = side.substr(start, comma == side.npos ? side.npos : comma - start);
      if (raw.size() > kMaxSynonymTermBytes) return fail("a term over 200 bytes");
      Phrase words;
      for (auto& w : wordsOf(raw, 16)) words.push_back(std::move(w.folded));
      if (words.empty()) return fail("an empty term (or one with nothing searchable)");
      into.push_back(std::move(words));
      if (into.size() > kMaxSynonymsPerLine) return fail("more than 64 terms on one line");
      if (comma == side.npos) return true;
      start = comma + 1;
    }
  }

  void add(const Phrase& from, const std::vector<Phrase>& to) {
    auto& alts = out.map_[from];
    for (const auto& t : to) {
      if (std::find(alts.begin(), alts.end(), t) == alts.end() &&
          alts.size() < kMaxSynonymsPerTerm) {
        alts.push_back(t);
      }
    }
  }

  bool parseLine(std::string_view text) {
    const std::size_t arrow = text.find("=>");
    if (arrow != text.npos && text.find("=>", arrow + 2) != text.npos) {
      return fail("more than one '=>'");
    }
    std::vector<Phrase> left, right;
    if (!terms(text.substr(0, arrow), left)) return false;
    if (arrow == text.npos) {
      if (left.size() < 2) return fail("a single term (synonyms need two, or '=>')");
      for (const auto& t : left) add(t, left);
      return true;
    }
    if (!terms(text.substr(arrow + 2), right)) return false;
    for (const auto& t : left) add(t, right);
    return true;
  }
};

std::variant<Synonyms, SynonymError> parseSynonyms(std::string_view text) {
  if (text.size() > kMaxSynonymFileBytes) return SynonymError{0, "the file is over 4 MiB"};
  SynonymParser p;
  std::size_t start = 0;
  while (start < text.size()) {
    ++p.line;
    std::size_t end = text.find('\n', start);
    if (end == text.npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (auto bad = firstBadByte(line); bad != line.npos) {
      return SynonymError{p.line,
                          "not UTF-8 text (or a control character) at byte " + std::to_string(bad)};
    }
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == line.npos || line[first] == '#') continue;
    if (!p.parseLine(line)) return SynonymError{p.line, p.error};
  }
  return std::move(p.out);
}

}  // namespace parley::search
