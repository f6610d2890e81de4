#include "search/query.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace parley::search {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct Parser {
  std::string_view q;
  std::size_t pos = 0;
  std::size_t terms = 0;
  ParsedQuery out;
  std::optional<QueryError> error;

  bool fail(std::string what, std::size_t at) {
    error = QueryError{std::move(what), at};
    return false;
  }

  bool parseAll();
  bool parseTerm();
  bool parsePhrase(std::size_t start, bool excluded);
  bool parseBare(std::size_t start, bool excluded);
  bool parseOperator(std::string_view name, std::string_view value, std::size_t start,
                     bool excluded);
  bool parseDate(std::string_view name, std::string_view value, std::size_t at);
  bool parseWord(std::string_view word, std::size_t start, bool excluded);
};

bool Parser::parseAll() {
  if (q.size() > kMaxQueryBytes) return fail("longer than 1000 bytes", kMaxQueryBytes);
  if (auto bad = firstBadByte(q); bad != std::string_view::npos) {
    return fail("not UTF-8 text (or a control character)", bad);
  }
  while (true) {
    while (pos < q.size() && isSpace(q[pos])) ++pos;
    if (pos == q.size()) break;
    if (++terms > kMaxQueryTerms) return fail("more than 32 terms", pos);
    if (!parseTerm()) return false;
  }
  if (terms == 0) return fail("empty query", 0);
  const bool any_positive = std::any_of(out.terms.begin(), out.terms.end(),
                                        [](const QueryTerm& t) { return !t.excluded; });
  const bool any_filter = !out.from.empty() || !out.in.empty() || out.since || out.until ||
                          out.has_file || out.has_image || out.has_link || out.is_reply;
  if (!any_positive && !any_filter) {
    return fail("a query needs a word, a phrase or a filter besides exclusions", 0);
  }
  return true;
}

bool Parser::parseTerm() {
  const std::size_t start = pos;
  bool excluded = false;
  if (q[pos] == '-' && pos + 1 < q.size() && !isSpace(q[pos + 1])) {
    excluded = true;
    ++pos;
  }
  if (q[pos] == '"') return parsePhrase(start, excluded);
  return parseBare(start, excluded);
}

bool Parser::parsePhrase(std::size_t start, bool excluded) {
  const std::size_t open = pos;
  const std::size_t close = q.find('"', open + 1);
  if (close == std::string_view::npos) return fail("unbalanced quote", open);
  std::string_view body = q.substr(open + 1, close - open - 1);
  pos = close + 1;
  if (pos < q.size() && !isSpace(q[pos])) return fail("a space must follow a phrase", pos);
  if (std::all_of(body.begin(), body.end(), isSpace)) return fail("empty phrase", open);
  out.terms.push_back({QueryTerm::Kind::phrase, excluded, std::string(body), start});
  return true;
}

bool Parser::parseBare(std::size_t start, bool excluded) {
  const std::size_t word_start = pos;
  while (pos < q.size() && !isSpace(q[pos])) {
    if (q[pos] == '"') return fail("a quote inside a word", pos);
    ++pos;
  }
  std::string_view word = q.substr(word_start, pos - word_start);
  const std::size_t colon = word.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view name = word.substr(0, colon);
    std::string_view value = word.substr(colon + 1);
    const bool is_name = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    // "https://..." is a word, not an operator.
    if (is_name && !value.starts_with("//")) {
      return parseOperator(name, value, start, excluded);
    }
  }
  return parseWord(word, start, excluded);
}

bool Parser::parseWord(std::string_view word, std::size_t start, bool excluded) {
  const std::size_t star = word.find('*');
  QueryTerm t{QueryTerm::Kind::word, excluded, std::string(word), start};
  if (star != std::string_view::npos) {
    const std::size_t at = pos - word.size() + star;
    if (star + 1 != word.size()) return fail("'*' may only end a word", at);
    if (star == 0) return fail("'*' needs a prefix before it", at);
    t.kind = QueryTerm::Kind::prefix;
    t.text.pop_back();
  }
  out.terms.push_back(std::move(t));
  return true;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

bool Parser::parseOperator(std::string_view raw_name, std::string_view value, std::size_t start,
                           bool excluded) {
  const std::string name = lower(raw_name);
  const std::size_t value_at = pos - value.size();
  static constexpr std::array<std::string_view, 7> kKnown{"from", "in",  "before", "after",
                                                          "on",   "has", "is"};
  if (std::find(kKnown.begin(), kKnown.end(), name) == kKnown.end()) {
    return fail("unknown operator '" + name + ":'", start + (excluded ? 1 : 0));
  }
  if (excluded) return fail("an operator cannot be excluded", start);
  if (value.empty()) return fail("'" + name + ":' needs a value", value_at);
  if (name == "from") {
    if (value.starts_with('@')) value.remove_prefix(1);
    if (value.empty()) return fail("'from:' needs a username", value_at);
    out.from.emplace_back(value);
  } else if (name == "in") {
    if (value.starts_with('#')) value.remove_prefix(1);
    if (value.empty()) return fail("'in:' needs a room name or id", value_at);
    out.in.emplace_back(value);
  } else if (name == "has") {
    const std::string v = lower(value);
    if (v == "file")
      out.has_file = true;
    else if (v == "image")
      out.has_image = true;
    else if (v == "link")
      out.has_link = true;
    else
      return fail("'has:' takes file, image or link", value_at);
  } else if (name == "is") {
    if (lower(value) != "reply") return fail("'is:' takes reply", value_at);
    out.is_reply = true;
  } else {
    return parseDate(name, value, value_at);
  }
  return true;
}

bool Parser::parseDate(std::string_view name, std::string_view value, std::size_t at) {
  auto day = parseDay(value);
  if (!day) return fail("'" + std::string(name) + ":' takes a date YYYY-MM-DD", at);
  const std::int64_t begin = *day * kDayMs;
  const std::int64_t end = begin + kDayMs;
  auto raise = [](std::optional<std::int64_t>& v, std::int64_t x) { v = v ? std::max(*v, x) : x; };
  auto cap = [](std::optional<std::int64_t>& v, std::int64_t x) { v = v ? std::min(*v, x) : x; };
  if (name == "before") {
    cap(out.until, begin);
  } else if (name == "after") {
    raise(out.since, end);
  } else {
    raise(out.since, begin);
    cap(out.until, end);
  }
  return true;
}

std::optional<int> digits(std::string_view s) {
  int v = 0;
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::size_t firstBadByte(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && !isSpace(s[i])) return i;
      if (c == 0x7f) return i;
      ++i;
      continue;
    }
    std::size_t n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
    if (n == 0 || c > 0xf4 || i + n >= s.size()) return i;
    std::uint32_t cp = c & (0x3f >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (t & 0x3f);
    }
    static constexpr std::array<std::uint32_t, 4> kMin{0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

std::optional<std::int64_t> parseDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto y = digits(s.substr(0, 4));
  auto m = digits(s.substr(5, 2));
  auto d = digits(s.substr(8, 2));
  if (!y || !m || !d || *y < 1970 || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  const int month_days = kDays[*m - 1] + (*m == 2 && leap ? 1 : 0);
  if (*d > month_days) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  const int yy = *y - (*m <= 2 ? 1 : 0);
  const int era = yy / 400;
  const int yoe = yy - era * 400;
  const int mp = (*m + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + *d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

ParseResult parseQuery(std::string_view q) {
  Parser p;
  p.q = q;
  if (!p.parseAll()) return *p.error;
  return std::move(p.out);
}

}  // namespace parley::search
