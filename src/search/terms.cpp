#include "search/terms.h"

#include <algorithm>
#include <set>

#include "crypto/keyed_hash.h"

namespace parley::search {

TermKeys::TermKeys(std::string_view room_key, std::int64_t room_id)
    : key_(crypto::deriveKey(room_key, "parley/search-key/v1|" + std::to_string(room_id))) {}

Token TermKeys::make(char kind, std::string_view s) const {
  std::string msg;
  msg.reserve(s.size() + 2);
  msg += kind;
  msg += '|';
  msg += s;
  return crypto::keyedDigest64(key_, msg);
}

Token TermKeys::prefix(std::string_view folded) const {
  return make('p', firstCodePoints(folded, kMaxPrefixCodePoints));
}

std::vector<Token> documentTokens(const TermKeys& keys, const std::vector<Word>& words,
                                  DocFlags flags) {
  std::set<std::string> distinct;
  for (const auto& w : words) distinct.insert(w.folded);
  std::vector<Token> out;
  std::size_t fuzzy_words = 0;
  for (const auto& w : distinct) {
    out.push_back(keys.word(w));
    const std::size_t n = codePoints(w);
    for (std::size_t k = 1; k <= std::min(n, kMaxPrefixCodePoints); ++k) {
      out.push_back(keys.prefix(firstCodePoints(w, k)));
    }
    // A word of 2 code points keeps itself as a variant: a 3-letter query word (1 edit)
    // reaches it by deleting one of its own letters.
    if (n < 2 || fuzzy_words++ >= kMaxFuzzyWords) continue;
    for (const auto& v : deletionVariants(w, autoFuzziness(n))) out.push_back(keys.variant(v));
  }
  out.push_back(keys.flag("message"));  // what a query of filters alone looks up
  if (flags.file) out.push_back(keys.flag("file"));
  if (flags.image) out.push_back(keys.flag("image"));
  if (flags.link) out.push_back(keys.flag("link"));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool hasLink(std::string_view text) {
  return text.find("http://") != std::string_view::npos ||
         text.find("https://") != std::string_view::npos ||
         text.find("www.") != std::string_view::npos;
}

}  // namespace parley::search
