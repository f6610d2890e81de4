// Keyed search tokens (DESIGN.md invariant 5): what the index holds instead of words. Each
// token is the first 8 bytes of BLAKE2b keyed with the room's search key over a kind and a
// folded string, so the index holds no word, and a token means nothing in another room or
// without the key. The search key is derived from the room's first data key and never
// stored: destroying the room's keys makes its postings meaningless.
//
// Kinds: a whole word (w), each prefix of a word up to kMaxPrefixCodePoints (p: prefix*
// queries and suggestions), each deletion variant of a word within its AUTO fuzziness (f:
// fuzzy matching), and what a message is or has (o: message, file, image, link).
//
// Suggestions (autocomplete) need the words themselves back: each distinct word of a room is
// kept once, sealed (XChaCha20-Poly1305) under the room's vocabulary key (derived from the
// same data key, never stored), padded to a multiple of 16 bytes, and bound to its word token
// by the associated data, beside its prefix tokens (vocabularyOf).
//
// Thread-safe (immutable after construction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "search/analyzer.h"

namespace parley::search {

using Token = std::int64_t;

inline constexpr std::size_t kMaxPrefixCodePoints = 12;
// Words of one message that get fuzzy variants (the rest are found exactly or by prefix).
inline constexpr std::size_t kMaxFuzzyWords = 512;

struct DocFlags {
  bool file = false;
  bool image = false;
  bool link = false;
};

class TermKeys {
 public:
  // `room_key`: the room's data key of version 1 (32 bytes).
  TermKeys(std::string_view room_key, std::int64_t room_id);

  Token word(std::string_view folded) const { return make('w', folded); }
  // The prefix token of `folded` cut to kMaxPrefixCodePoints.
  Token prefix(std::string_view folded) const;
  Token variant(std::string_view v) const { return make('f', v); }
  Token flag(std::string_view name) const { return make('o', name); }

  // `folded` sealed for the vocabulary (a fresh nonce each time), bound to `word(folded)`.
  std::string sealWord(std::string_view folded) const;
  // The word sealed by sealWord for the word token `token`; Code::internal if it does not
  // open (another room, another token, an altered byte).
  Result<std::string> openWord(std::string_view sealed, Token token) const;

 private:
  Token make(char kind, std::string_view s) const;
  std::string wordAd(Token token) const;
  std::int64_t room_;
  std::string key_;
  std::string vocab_key_;
};

// One distinct word of a message as the vocabulary keeps it.
struct VocabWord {
  Token word = 0;               // keys.word(folded)
  std::vector<Token> prefixes;  // keys.prefix of its first 1..kMaxPrefixCodePoints code points
  std::string sealed;           // keys.sealWord(folded)
};

// The distinct words of a message (at most kMaxVocabWords, the first ones), for suggestions.
inline constexpr std::size_t kMaxVocabWords = 512;
std::vector<VocabWord> vocabularyOf(const TermKeys& keys, const std::vector<Word>& words);

// The sorted, distinct tokens of a message with these words and flags.
std::vector<Token> documentTokens(const TermKeys& keys, const std::vector<Word>& words,
                                  DocFlags flags);

// Whether `text` holds a link (http://, https:// or www.), for has:link.
bool hasLink(std::string_view text);

}  // namespace parley::search
