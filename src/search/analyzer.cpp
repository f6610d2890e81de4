#include "search/analyzer.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <algorithm>
#include <memory>

namespace parley::search {

namespace {

// One word iterator per thread: making one loads ICU's rules and dictionaries.
icu::BreakIterator* wordIterator() {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> made(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    return U_SUCCESS(status) ? std::move(made) : nullptr;
  }();
  return it.get();
}

// ICU counts in int32_t: every text here is a word, a query or a message, all bounded far
// below 2 GiB (a message by max_text_bytes, 16 KiB), so the casts below cannot narrow.
std::u32string toU32(std::string_view s) {
  std::u32string out;
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) out.push_back(u.char32At(i));
  return out;
}

}  // namespace

std::string fold(std::string_view word) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(word);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(word.data(), static_cast<int32_t>(word.size())));
  icu::UnicodeString decomposed = nfkd->normalize(u.foldCase(), status);
  icu::UnicodeString bare;
  for (int32_t i = 0; i < decomposed.length(); i = decomposed.moveIndex32(i, 1)) {
    const UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) bare.append(c);
  }
  icu::UnicodeString composed = nfc->normalize(bare.foldCase(), status);
  if (U_FAILURE(status)) return std::string(word);
  std::string out;
  composed.toUTF8String(out);
  return firstCodePoints(out, kMaxWordCodePoints);
}

std::vector<Word> wordsOf(std::string_view text, std::size_t max_words) {
  std::vector<Word> out;
  icu::BreakIterator* it = wordIterator();
  if (!it || text.empty()) return out;
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_FAILURE(status)) return out;
  it->setText(ut, status);
  int32_t begin = it->first();
  for (int32_t end = it->next(); end != icu::BreakIterator::DONE && out.size() < max_words;
       begin = end, end = it->next()) {
    if (it->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation
    const auto b = static_cast<std::size_t>(begin);
    const auto e = static_cast<std::size_t>(end);
    std::string folded = fold(text.substr(b, e - b));
    if (!folded.empty()) out.push_back({std::move(folded), b, e});
  }
  utext_close(ut);
  return out;
}

std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string firstCodePoints(std::string_view s, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && seen++ == n) {
      return std::string(s.substr(0, i));
    }
  }
  return std::string(s);
}

int autoFuzziness(std::size_t code_points) {
  if (code_points <= 2) return 0;
  return code_points <= 5 ? 1 : 2;
}

namespace {

// Byte offsets of the code points of UTF-8 `s` (a lead byte is any byte but 10xxxxxx).
void codePointStarts(std::string_view s, std::vector<std::size_t>& at) {
  at.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
  }
  at.push_back(s.size());
}

}  // namespace

// Every string made from `word` by removing up to `max_deletions` code points (never down to
// nothing), sorted and unique. Worked on the UTF-8 bytes: their byte order is code point
// order, so the sort matches the code points'. Built in a vector sorted once rather than a
// set: it runs for every word of every message indexed, and node allocations were most of
// its cost.
std::vector<std::string> deletionVariants(std::string_view word, int max_deletions) {
  std::vector<std::string> out{std::string(word)};
  std::vector<std::size_t> at;
  codePointStarts(word, at);
  std::size_t expect = 1, term = 1;  // 1 + n + n(n-1) + ...: every deletion, duplicates too
  for (int d = 0; d < max_deletions && at.size() - 1 > static_cast<std::size_t>(d); ++d) {
    term *= at.size() - 1 - static_cast<std::size_t>(d);
    expect += term;
  }
  out.reserve(expect);
  std::size_t level = 0;
  for (int d = 0; d < max_deletions; ++d) {
    const std::size_t level_end = out.size();
    for (std::size_t k = level; k < level_end; ++k) {
      codePointStarts(out[k], at);
      const std::size_t points = at.size() - 1;
      if (points <= 1) continue;
      for (std::size_t i = 0; i < points; ++i) {
        const std::string_view w = out[k];  // re-read: push_back may move the strings
        std::string v;
        v.reserve(w.size() - (at[i + 1] - at[i]));
        v.append(w.substr(0, at[i])).append(w.substr(at[i + 1]));
        out.push_back(std::move(v));
      }
    }
    level = level_end;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int editDistance(std::string_view a8, std::string_view b8, int limit) {
  const std::u32string a = toU32(a8), b = toU32(b8);
  const std::size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > static_cast<std::size_t>(limit)) return limit + 1;
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return std::min(d[n][m], limit + 1);
}

}  // namespace parley::search
