#include "search/suggest_input.h"

#include <algorithm>
#include <array>

#include "search/analyzer.h"

namespace parley::search {

namespace {

constexpr std::array<std::string_view, 9> kOperators{
    "from:", "in:", "has:file", "has:image", "has:link", "is:reply", "before:", "after:", "on:"};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void operatorsStartingWith(std::string_view typed, SuggestInput& in) {
  const std::string t = lowerAscii(typed);
  for (auto op : kOperators) {
    if (op.starts_with(t)) in.operators.emplace_back(op);
  }
}

// `tok` has a ':' (an operator being typed): its values.
void completeOperator(std::string_view tok, SuggestInput& in) {
  const std::size_t colon = tok.find(':');
  const std::string name = lowerAscii(tok.substr(0, colon));
  std::string_view value = tok.substr(colon + 1);
  if (name == "from") {
    if (value.starts_with('@')) value.remove_prefix(1);
    in.users = true;
    in.name = value;
  } else if (name == "in") {
    if (value.starts_with('#')) value.remove_prefix(1);
    in.rooms = true;
    in.name = value;
  } else if (name == "has" || name == "is") {
    operatorsStartingWith(tok, in);
  }
}

// A word being typed (possibly after '-' or '"'): the last word of `tok`, if it runs to the
// end (so "lap*" or "e-" complete nothing). The head keeps what precedes that word.
void completeWord(std::string_view tok, SuggestInput& in) {
  auto words = wordsOf(tok, kMaxQueryTerms * 8);
  if (words.empty() || words.back().end != tok.size()) return;
  in.head += tok.substr(0, words.back().begin);
  in.word = std::move(words.back().folded);
}

}  // namespace

std::variant<SuggestInput, QueryError> parseSuggestInput(std::string_view q) {
  if (q.empty()) return QueryError{"empty query", 0};
  if (q.size() > kMaxSuggestBytes) {
    return QueryError{"query over " + std::to_string(kMaxSuggestBytes) + " bytes",
                      kMaxSuggestBytes};
  }
  if (auto bad = firstBadByte(q); bad != std::string_view::npos) {
    return QueryError{"not UTF-8 text (or a control character)", bad};
  }
  std::size_t start = q.size();
  while (start > 0 && !isSpace(q[start - 1])) --start;
  SuggestInput in;
  in.head = q.substr(0, start);
  const std::string_view tok = q.substr(start);
  if (tok.empty()) {
    operatorsStartingWith("", in);
  } else if (tok.starts_with('-') || tok.starts_with('"')) {
    completeWord(tok, in);
  } else if (tok.starts_with('@') || tok.starts_with('#')) {
    in.users = tok[0] == '@';
    in.rooms = tok[0] == '#';
    in.name = tok.substr(1);
  } else if (tok.find(':') != std::string_view::npos) {
    completeOperator(tok, in);
  } else {
    completeWord(tok, in);
    in.users = in.rooms = true;
    in.name = tok;
    operatorsStartingWith(tok, in);
  }
  return in;
}

}  // namespace parley::search
