#include "search/terms.h"

#include <algorithm>
#include <set>

#include "crypto/keyed_hash.h"
#include "crypto/sealer.h"

namespace parley::search {

TermKeys::TermKeys(std::string_view room_key, std::int64_t room_id)
    : room_(room_id),
      key_(crypto::deriveKey(room_key, "parley/search-key/v1|" + std::to_string(room_id))),
      vocab_key_(crypto::deriveKey(room_key, "parley/search-vocab/v1|" + std::to_string(room_id))) {
}

std::string TermKeys::wordAd(Token token) const {
  return "parley/search-word/v1|" + std::to_string(room_) + "|" + std::to_string(token);
}

// The plaintext: the word's length (2 bytes, little-endian), the word, zeros up to a
// multiple of 16 bytes, so the sealed size tells the word's length only to 16 bytes.
std::string TermKeys::sealWord(std::string_view folded) const {
  std::string padded;
  padded += static_cast<char>(folded.size() & 0xff);
  padded += static_cast<char>((folded.size() >> 8) & 0xff);
  padded += folded;
  padded.resize((padded.size() + 15) / 16 * 16, '\0');
  return crypto::seal(vocab_key_, wordAd(word(folded)), padded);
}

Result<std::string> TermKeys::openWord(std::string_view sealed, Token token) const {
  auto padded = crypto::open(vocab_key_, wordAd(token), sealed);
  if (!padded) return padded.error();
  if (padded->size() < 2) return makeError(Code::internal, "search vocabulary: bad padding");
  const std::size_t n = static_cast<unsigned char>((*padded)[0]) |
                        (static_cast<std::size_t>(static_cast<unsigned char>((*padded)[1])) << 8);
  if (n > padded->size() - 2) return makeError(Code::internal, "search vocabulary: bad padding");
  return padded->substr(2, n);
}

std::vector<VocabWord> vocabularyOf(const TermKeys& keys, const std::vector<Word>& words) {
  std::set<std::string> distinct;
  for (const auto& w : words) {
    if (distinct.size() >= kMaxVocabWords) break;
    distinct.insert(w.folded);
  }
  std::vector<VocabWord> out;
  out.reserve(distinct.size());
  for (const auto& w : distinct) {
    VocabWord v{keys.word(w), {}, keys.sealWord(w)};
    const std::size_t n = std::min(codePoints(w), kMaxPrefixCodePoints);
    for (std::size_t k = 1; k <= n; ++k) v.prefixes.push_back(keys.prefix(firstCodePoints(w, k)));
    out.push_back(std::move(v));
  }
  return out;
}

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
