#include "adapters/s3/s3_wire.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace parley::s3 {

using aws::uriEncode;

Address addressFor(const S3Config& c, std::string_view key) {
  Address a;
  const bool default_port = c.port == (c.tls ? "443" : "80");
  const std::string port_suffix = default_port ? "" : ":" + c.port;
  const std::string encoded_key = uriEncode(key, false);
  if (c.path_style) {
    a.connect_host = c.host;
    a.host_header = c.host + port_suffix;
    a.path = "/" + c.bucket + (key.empty() ? "" : "/" + encoded_key);
  } else {
    a.connect_host = c.bucket + "." + c.host;
    a.host_header = a.connect_host + port_suffix;
    a.path = "/" + encoded_key;
  }
  a.tls_name = a.connect_host;
  if (!c.connect_address.empty()) a.connect_host = c.connect_address;
  return a;
}

namespace {

void appendUtf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | ((cp >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends what the entity `ent` (between '&' and ';') stands for; false if it is none of
// XML's five named entities nor a character reference.
bool appendEntity(std::string& out, std::string_view ent) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [name, c] : kNamed) {
    if (ent == name) {
      out += c;
      return true;
    }
  }
  if (ent.empty() || ent[0] != '#') return false;
  const bool hexa = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
  const unsigned long cp =
      std::strtoul(std::string(ent.substr(hexa ? 2 : 1)).c_str(), nullptr, hexa ? 16 : 10);
  appendUtf8(out, cp);
  return true;
}

std::string decodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t semi = s[i] == '&' ? s.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    // Anything else between '&' and ';' is kept as it is.
    if (!appendEntity(out, s.substr(i + 1, semi - i - 1))) out.append(s.substr(i, semi - i + 1));
    i = semi;
  }
  return out;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<std::int64_t> toMs(int y, int mo, int d, int h, int mi, int s, int ms) {
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + ms;
}

}  // namespace

std::vector<std::string> xmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  std::size_t pos = 0;
  for (;;) {
    const std::size_t start = xml.find(open, pos);
    if (start == std::string_view::npos) break;
    const std::size_t body = start + open.size();
    const std::size_t end = xml.find(close, body);
    if (end == std::string_view::npos) break;
    out.push_back(decodeEntities(xml.substr(body, end - body)));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> xmlFirst(std::string_view xml, std::string_view tag) {
  auto all = xmlElements(xml, tag);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::int64_t> parseIso8601Ms(std::string_view s) {
  const std::string str(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
    return std::nullopt;
  }
  int ms = 0;
  if (static_cast<std::size_t>(n) < str.size() && str[n] == '.') {
    int digits = 0;
    for (std::size_t i = n + 1; i < str.size() && str[i] >= '0' && str[i] <= '9'; ++i) {
      if (digits < 3) ms = ms * 10 + (str[i] - '0');
      ++digits;
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  return toMs(y, mo, d, h, mi, sec, ms);
}

std::optional<std::int64_t> parseHttpDateMs(std::string_view s) {
  const std::string str(s);
  char mon[4] = {};
  int y = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (std::sscanf(str.c_str(), "%*3s, %2d %3s %4d %2d:%2d:%2d", &d, mon, &y, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  for (int m = 0; m < 12; ++m) {
    if (std::strcmp(mon, kMonths[m]) == 0) return toMs(y, m + 1, d, h, mi, sec, 0);
  }
  return std::nullopt;
}

std::string amzDate(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace parley::s3
