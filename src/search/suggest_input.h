// What a suggestion request asks to complete (docs/api.md, "Suggestions"): the query typed so
// far, of which only the part after the last space is being typed. A pure function: bytes in,
// what to look up and how each completion rewrites the query out. No I/O.
//
//   lap          words starting with "lap", people and rooms whose name does, operators
//   -lap, "lap   words only (an exclusion or a phrase being typed)
//   @al, from:al people (completed as from:NAME)
//   #ge, in:ge   rooms (completed as in:NAME, or in:ID for a name with a space)
//   has:, is:i   the operator's values;  b  operators (before:)
//   "x "         (ends with a space) operators
//
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "search/query.h"

namespace parley::search {

inline constexpr std::size_t kMaxSuggestBytes = 100;

struct SuggestInput {
  std::string head;    // the query before what a completion replaces
  std::string word;    // folded word prefix to complete from messages; "" for none
  std::string name;    // people / room name prefix (as typed, without @ # from: in:)
  bool users = false;  // complete people (as from:NAME)
  bool rooms = false;  // complete rooms (as in:NAME)
  std::vector<std::string> operators;  // the operators (and values) that fit what is typed
};

// QueryError for an empty query, over kMaxSuggestBytes, or bytes that are not UTF-8 text
// (control characters included). A query whose part being typed fits nothing (an unknown
// operator, a date) is no error: it has nothing to suggest.
std::variant<SuggestInput, QueryError> parseSuggestInput(std::string_view q);

}  // namespace parley::search
