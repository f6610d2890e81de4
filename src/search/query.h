// The search query language (docs/api.md, "Search"): what users know from Mattermost and
// Slack. A pure parser: bytes in, a ParsedQuery or the first thing wrong with its byte
// offset out. No I/O, no ICU: words are kept as typed (the analyzer folds them later).
//
//   word          every word must match
//   "a phrase"    the words in this order, next to each other
//   -word         must not match (also -"a phrase")
//   pre*          a word starting with `pre`
//   from:alice    (or from:@alice) sent by that user
//   in:general    (or in:#general, in:42) in that room, by name or id
//   before:D after:D on:D   D is YYYY-MM-DD (UTC): before the day, after the day, on it
//   has:file has:image has:link is:reply
//
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::search {

inline constexpr std::size_t kMaxQueryBytes = 1000;
inline constexpr std::size_t kMaxQueryTerms = 32;

struct QueryTerm {
  enum class Kind { word, phrase, prefix };
  Kind kind = Kind::word;
  bool excluded = false;
  std::string text;        // as typed, without quotes, '-' or '*'
  std::size_t offset = 0;  // of the term in the query, in bytes
};

struct ParsedQuery {
  std::vector<QueryTerm> terms;
  std::vector<std::string> from;  // usernames, without '@'
  std::vector<std::string> in;    // room names (without '#') or decimal ids
  // Milliseconds since the epoch (UTC): a hit's time t must satisfy since <= t < until.
  std::optional<std::int64_t> since;
  std::optional<std::int64_t> until;
  bool has_file = false;
  bool has_image = false;
  bool has_link = false;
  bool is_reply = false;
};

struct QueryError {
  std::string what;        // "unbalanced quote", "unknown operator 'foo'", ...
  std::size_t offset = 0;  // where, in bytes from the start of the query
};

using ParseResult = std::variant<ParsedQuery, QueryError>;

ParseResult parseQuery(std::string_view q);

// The offset of the first byte of `s` that is not well-formed UTF-8 (or is a control
// character other than a space, tab, CR or LF), or npos.
std::size_t firstBadByte(std::string_view s);

// Days since 1970-01-01 of "YYYY-MM-DD" (a real calendar day, years 1970..9999), or nothing.
std::optional<std::int64_t> parseDay(std::string_view s);

}  // namespace parley::search
