#include "service/mentions.h"

#include <algorithm>

#include "domain/types.h"
#include "ports/store.h"

namespace parley::mentions {

namespace {

bool nameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// A character after which `@` may start a mention: anything but a name character or an
// `@` (bytes of other scripts included: Chinese or Japanese text has no spaces).
bool boundary(char c) { return !nameChar(c) && c != '@'; }

// The fence a line opens (``` or ~~~, up to three spaces in): its character and length,
// or 0 when the line opens none.
std::pair<char, std::size_t> fenceOf(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return {0, 0};
  const char c = line[i];
  std::size_t n = 0;
  while (i + n < line.size() && line[i + n] == c) ++n;
  if (n < 3) return {0, 0};
  // An opening ``` fence's info string holds no backtick (CommonMark).
  if (c == '`' && line.substr(i + n).find('`') != std::string_view::npos) return {0, 0};
  return {c, n};
}

// Whether `line` closes a fence of `c` x `n`: only that character (at least n), then spaces.
bool closes(std::string_view line, char c, std::size_t n) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  std::size_t run = 0;
  while (i + run < line.size() && line[i + run] == c) ++run;
  if (run < n) return false;
  for (std::size_t j = i + run; j < line.size(); ++j) {
    if (line[j] != ' ' && line[j] != '\t' && line[j] != '\r') return false;
  }
  return true;
}

void addName(Parsed& out, std::string_view name) {
  std::string key = usernameKey(name);
  if (key == "room") {
    out.room = true;
  } else if (key == "here") {
    out.here = true;
  } else if (name.size() >= 3 && name.size() <= 32 && out.names.size() < kMaxMentionNames &&
             std::find(out.names.begin(), out.names.end(), key) == out.names.end()) {
    out.names.push_back(std::move(key));
  }
}

// The mentions of one paragraph-level line outside fenced code, skipping inline code.
void scanLine(Parsed& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '`') {
      std::size_t run = 0;
      while (i + run < s.size() && s[i + run] == '`') ++run;
      // The span ends at the next run of exactly as many backticks; none: they are text.
      std::size_t j = i + run;
      std::size_t end = std::string_view::npos;
      while (j < s.size()) {
        if (s[j] != '`') {
          ++j;
          continue;
        }
        std::size_t k = 0;
        while (j + k < s.size() && s[j + k] == '`') ++k;
        if (k == run) {
          end = j + k;
          break;
        }
        j += k;
      }
      i = end == std::string_view::npos ? i + run : end;
      continue;
    }
    if (s[i] == '@' && (i == 0 || boundary(s[i - 1]))) {
      std::size_t j = i + 1;
      while (j < s.size() && nameChar(s[j])) ++j;
      std::string_view name = s.substr(i + 1, j - i - 1);
      while (!name.empty() && (name.back() == '.' || name.back() == '-' || name.back() == '_')) {
        name.remove_suffix(1);
      }
      if (!name.empty()) addName(out, name);
      i = j;
      continue;
    }
    ++i;
  }
}

}  // namespace

Parsed parse(std::string_view text) {
  Parsed out;
  // Inline code may span lines within a paragraph: lines are joined until a fence.
  std::size_t start = 0;
  std::size_t para = 0;  // start of the text not yet scanned
  char fence = 0;
  std::size_t fence_len = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(start, nl - start);
    if (fence != 0) {
      if (closes(line, fence, fence_len)) fence = 0;
      para = nl + 1;
    } else if (auto [c, n] = fenceOf(line); c != 0) {
      scanLine(out, text.substr(para, start - para));
      fence = c;
      fence_len = n;
      para = nl + 1;
    }
    start = nl + 1;
  }
  if (fence == 0 && para < text.size()) scanLine(out, text.substr(para));
  return out;
}

}  // namespace parley::mentions
