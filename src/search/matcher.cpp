#include "search/matcher.h"

#include <algorithm>

namespace parley::search {

namespace {

using Kind = QueryTerm::Kind;

std::vector<std::string> foldedWords(std::string_view text) {
  std::vector<std::string> out;
  for (auto& w : wordsOf(text, kMaxQueryTerms * 8)) out.push_back(std::move(w.folded));
  return out;
}

}  // namespace

std::variant<AnalyzedQuery, QueryError> analyze(const ParsedQuery& q) {
  AnalyzedQuery out;
  out.required = {q.has_file, q.has_image, q.has_link};
  for (const auto& t : q.terms) {
    AnalyzedTerm a{t.kind, t.excluded, {}, 0, t.offset};
    if (t.kind == Kind::prefix) {
      std::string f = fold(t.text);
      if (!f.empty()) a.words.push_back(std::move(f));
    } else {
      a.words = foldedWords(t.text);
    }
    if (a.words.empty()) return QueryError{"nothing searchable in this term", t.offset};
    // A word that segments into several ("e-mail", 東京都) is found as a phrase.
    if (a.kind == Kind::word && a.words.size() > 1) a.kind = Kind::phrase;
    if (a.kind == Kind::word) a.fuzziness = autoFuzziness(codePoints(a.words[0]));
    out.terms.push_back(std::move(a));
  }
  return out;
}

void applySynonyms(AnalyzedQuery& q, const Synonyms& synonyms) {
  for (auto& t : q.terms) {
    if (t.excluded || t.kind == Kind::prefix) continue;
    const auto* alts = synonyms.find(t.words);
    if (!alts) continue;
    t.primary = std::find(alts->begin(), alts->end(), t.words) != alts->end();
    for (const auto& a : *alts) {
      if (a != t.words) t.alternatives.push_back(a);
    }
  }
}

namespace {

// The token an index lookup of a word sequence uses: its longest word's (likely the rarest);
// the in-memory check decides on the whole sequence.
Token lookupToken(const TermKeys& keys, const Phrase& words) {
  auto longest = std::max_element(words.begin(), words.end(),
                                  [](const auto& a, const auto& b) { return a.size() < b.size(); });
  return keys.word(*longest);
}

// A term with synonyms is one OR group for the index.
KeyedTerm keyedGroup(const TermKeys& keys, const AnalyzedTerm& t) {
  KeyedTerm k;
  if (t.primary) {
    k.exact.push_back(lookupToken(keys, t.words));
    if (t.kind == Kind::word && t.fuzziness > 0) {
      for (const auto& v : deletionVariants(t.words[0], t.fuzziness)) {
        k.fuzzy.push_back(keys.variant(v));
      }
    }
  }
  for (const auto& a : t.alternatives) k.exact.push_back(lookupToken(keys, a));
  return k;
}

}  // namespace

KeyedQuery keyQuery(const TermKeys& keys, const AnalyzedQuery& q) {
  KeyedQuery out;
  for (const auto& t : q.terms) {
    if (!t.alternatives.empty() && !t.excluded) {
      out.all_of.push_back(keyedGroup(keys, t));
      continue;
    }
    if (t.excluded) {
      // An excluded phrase is left to the in-memory check: its words alone do not say.
      if (t.kind == Kind::word) out.none_of.push_back(keys.word(t.words[0]));
      if (t.kind == Kind::prefix && codePoints(t.words[0]) <= kMaxPrefixCodePoints) {
        out.none_of.push_back(keys.prefix(t.words[0]));
      }
      continue;
    }
    if (t.kind == Kind::prefix) {
      out.all_of.push_back({{keys.prefix(t.words[0])}, {}});
    } else if (t.kind == Kind::phrase) {
      for (const auto& w : t.words) out.all_of.push_back({{keys.word(w)}, {}});
    } else {
      KeyedTerm k{{keys.word(t.words[0])}, {}};
      if (t.fuzziness > 0) {
        for (const auto& v : deletionVariants(t.words[0], t.fuzziness)) {
          k.fuzzy.push_back(keys.variant(v));
        }
      }
      out.all_of.push_back(std::move(k));
    }
  }
  if (q.required.file) out.all_of.push_back({{keys.flag("file")}, {}});
  if (q.required.image) out.all_of.push_back({{keys.flag("image")}, {}});
  if (q.required.link) out.all_of.push_back({{keys.flag("link")}, {}});
  if (out.all_of.empty()) out.all_of.push_back({{keys.flag("message")}, {}});  // filters alone
  return out;
}

namespace {

// Whether `phrase` occurs in `words` (marking each occurrence).
bool phraseIn(const Phrase& phrase, const std::vector<Word>& words,
              std::vector<std::size_t>& marks) {
  bool found = false;
  const std::size_t n = phrase.size();
  for (std::size_t i = 0; i + n <= words.size(); ++i) {
    bool all = true;
    for (std::size_t k = 0; all && k < n; ++k) all = words[i + k].folded == phrase[k];
    if (!all) continue;
    for (std::size_t k = 0; k < n; ++k) marks.push_back(i + k);
    found = true;
  }
  return found;
}

// 2: exact, 1: within the fuzziness, 0: no. Marks what matched.
int matchTerm(const AnalyzedTerm& t, const std::vector<Word>& words,
              std::vector<std::size_t>& marks) {
  int best = 0;
  for (const auto& a : t.alternatives) best = phraseIn(a, words, marks) ? 2 : best;
  if (!t.primary) return best;
  const std::size_t n = t.words.size();
  for (std::size_t i = 0; i < words.size(); ++i) {
    int got = 0;
    if (t.kind == Kind::prefix) {
      got = words[i].folded.starts_with(t.words[0]) ? 2 : 0;
    } else if (t.kind == Kind::phrase) {
      bool all = i + n <= words.size();
      for (std::size_t k = 0; all && k < n; ++k) all = words[i + k].folded == t.words[k];
      if (all) {
        for (std::size_t k = 0; k < n; ++k) marks.push_back(i + k);
        best = 2;
      }
      continue;
    } else if (words[i].folded == t.words[0]) {
      got = 2;
    } else if (t.fuzziness > 0 &&
               editDistance(words[i].folded, t.words[0], t.fuzziness) <= t.fuzziness) {
      got = 1;
    }
    if (got > 0) marks.push_back(i);
    best = std::max(best, got);
  }
  return best;
}

}  // namespace

Verdict verify(const AnalyzedQuery& q, const std::vector<Word>& words) {
  Verdict v;
  v.match = true;
  for (const auto& t : q.terms) {
    std::vector<std::size_t> marks;
    const int got = matchTerm(t, words, marks);
    if (t.excluded) {
      if (got == 2) v.match = false;
      continue;
    }
    if (got == 0) v.match = false;
    (got == 2 ? v.exact : v.fuzzy) += got > 0 ? 1 : 0;
    v.marked.insert(v.marked.end(), marks.begin(), marks.end());
  }
  std::sort(v.marked.begin(), v.marked.end());
  v.marked.erase(std::unique(v.marked.begin(), v.marked.end()), v.marked.end());
  if (!v.match) v.marked.clear();
  return v;
}

}  // namespace parley::search
