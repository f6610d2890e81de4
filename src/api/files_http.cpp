#include "api/files_http.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace parley::api {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> queryParam(std::string_view target, std::string_view key) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  for (auto p : url->params()) {
    if (p.key == key) return std::string(p.value);
  }
  return std::nullopt;
}

// Bidirectional formatting characters (U+202A..U+202E, U+2066..U+2069) as UTF-8: they can
// make "evil\u202Egnp.exe" display as "evilexe.png".
std::size_t bidiControlAt(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size() || static_cast<unsigned char>(s[i]) != 0xE2) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  if (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) return 3;
  if (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return 3;
  return 0;
}

}  // namespace

std::optional<FileRoute> matchFileRoute(std::string_view method, std::string_view path) {
  auto segs = segments(path);
  if (segs.size() < 5 || segs[0] != "api" || segs[1] != "v1" || segs[2] != "rooms" ||
      segs[4] != "files") {
    return std::nullopt;
  }
  // A room segment that is no room id is room 0, which does not exist: answered as any
  // missing room (never passed on to the JSON routes, whose answers differ).
  auto room = number(segs[3]);
  if (!room || *room > static_cast<std::uint64_t>(INT64_MAX)) room = 0;
  FileRoute r;
  r.room = static_cast<RoomId>(*room);
  const bool read = method == "GET" || method == "HEAD";
  if (segs.size() == 5 && method == "POST") return r;
  if (segs.size() == 6 && read) {
    r.kind = FileRoute::Kind::download;
    r.id = std::string(segs[5]);
    return r;
  }
  if (segs.size() == 7 && read && segs[6] == "thumbnail") {
    r.kind = FileRoute::Kind::thumbnail;
    r.id = std::string(segs[5]);
    return r;
  }
  return std::nullopt;
}

Result<std::string> uploadName(std::string_view target) {
  auto name = queryParam(target, "name");
  if (!name || name->empty()) {
    return makeError(Code::bad_request, "the name query parameter is required");
  }
  return std::move(*name);
}

bool wantsDownload(std::string_view target) { return queryParam(target, "download") == "1"; }

RangeRequest parseRange(std::string_view header, std::uint64_t size) {
  RangeRequest whole;
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit)) return whole;
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: all of it
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto first = spec.substr(0, dash);
  auto last = spec.substr(dash + 1);
  RangeRequest out;
  out.kind = RangeRequest::Kind::partial;
  if (first.empty()) {  // -n: the last n bytes
    auto n = number(last);
    if (!n) return whole;
    if (*n == 0 || size == 0) return {RangeRequest::Kind::unsatisfiable};
    out.length = std::min(*n, size);
    out.offset = size - out.length;
    return out;
  }
  auto a = number(first);
  if (!a) return whole;
  std::optional<std::uint64_t> b;
  if (!last.empty()) {
    b = number(last);
    if (!b || *b < *a) return whole;
  }
  if (*a >= size) return {RangeRequest::Kind::unsatisfiable};
  const std::uint64_t end = b ? std::min(*b, size - 1) : size - 1;
  out.offset = *a;
  out.length = end - *a + 1;
  return out;
}

std::string sanitizeFileName(std::string_view name) {
  auto cut = name.find_last_of("/\\");
  if (cut != std::string_view::npos) name.remove_prefix(cut + 1);
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::size_t n = bidiControlAt(name, i)) {
      i += n - 1;
      continue;
    }
    if (c < 0x20 || c == 0x7F || c == '"') continue;
    out += name[i];
  }
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.empty()) out = "file";
  return out;
}

std::string contentDisposition(std::string_view name, bool as_inline) {
  const std::string clean = sanitizeFileName(name);
  std::string ascii;
  for (char ch : clean) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 && c < 0xC0) continue;  // one '_' per character, not per byte
    ascii += c < 0x80 ? ch : '_';
  }
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : clean) {
    const auto c = static_cast<unsigned char>(ch);
    const bool attr_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos;
    if (attr_char) {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  std::string out = as_inline ? "inline" : "attachment";
  out += "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
  return out;
}

bool isInlineSafe(std::string_view mime) {
  return mime == "image/png" || mime == "image/jpeg" || mime == "image/gif" || mime == "image/webp";
}

std::vector<std::pair<std::string, std::string>> fileHeaders(const OpenedFile& f, bool download) {
  const std::string& mime = f.view.record.mime;
  const bool as_inline = f.thumbnail || (isInlineSafe(mime) && !download);
  std::string type = f.thumbnail          ? "image/jpeg"
                     : isInlineSafe(mime) ? mime
                                          : "application/octet-stream";
  return {{"Content-Type", std::move(type)},
          {"Content-Disposition", contentDisposition(f.view.name, as_inline)},
          {"Content-Security-Policy", "sandbox; default-src 'none'"},
          {"Accept-Ranges", "bytes"},
          {"Cache-Control", "private, max-age=31536000, immutable"}};
}

}  // namespace parley::api
