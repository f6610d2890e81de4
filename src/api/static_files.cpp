#include "api/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/log.h"

namespace parley::api {

namespace fs = std::filesystem;

namespace {

// Longer targets name no file of a built client (its longest path is well under this).
constexpr std::size_t kMaxTarget = 1024;

bool safeByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || c == '@' || c == '+';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view contentType(std::string_view key) {
  auto dot = key.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : key.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

// Hashed asset names never change content: browsers may keep them for a year.
std::string cacheControl(std::string_view key) {
  return key.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
}

bool isInside(const fs::path& root, const fs::path& real) {
  const std::string& r = root.native();
  const std::string& p = real.native();
  if (r == "/") return p.size() > 1;
  return p.size() > r.size() + 1 && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/';
}

void skipped(const std::string& key, std::string_view reason) {
  log::info("static_file_skipped", {{"path", key}, {"reason", reason}});
}

std::optional<std::string> leftOut(const std::string& key, std::string_view reason) {
  skipped(key, reason);
  return std::nullopt;
}

// Reads one walked entry if it is a regular file inside `root` (after following symlinks).
// nullopt: left out (logged). An error: a bound of `limits` would be exceeded.
Result<std::optional<std::string>> readInside(const fs::path& root, const fs::path& path,
                                              const std::string& key, const StaticLimits& limits,
                                              std::size_t files, std::uint64_t bytes) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) return leftOut(key, "unresolvable");
  if (!isInside(root, real)) return leftOut(key, "outside the static dir");
  // O_NOFOLLOW and fstat: what is read is the regular file that was checked, not a symlink
  // or FIFO swapped in since; O_NONBLOCK so that a FIFO cannot block the start.
  int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return leftOut(key, "cannot open");
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return leftOut(key, "not a regular file");
  }
  auto size = static_cast<std::uint64_t>(sb.st_size);
  if (files + 1 > limits.max_files || bytes + size > limits.max_bytes) {
    ::close(fd);
    return makeError(Code::bad_request, "holds more than " + std::to_string(limits.max_files) +
                                            " files or " + std::to_string(limits.max_bytes >> 20) +
                                            " MiB (at " + key + ")");
  }
  std::string body(size, '\0');
  std::size_t got = 0;
  while (got < body.size()) {
    ssize_t n = ::read(fd, body.data() + got, body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  body.resize(got);
  return std::optional<std::string>(std::move(body));
}

}  // namespace

std::optional<std::string> staticKey(std::string_view target) {
  if (target.empty() || target.front() != '/' || target.size() > kMaxTarget) return std::nullopt;
  std::string key;
  key.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return std::nullopt;
      int hi = hexValue(target[i + 1]);
      int lo = hexValue(target[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (!safeByte(c)) return std::nullopt;  // %2f, %5c, %00, %25, %c0...: never a name
    } else if (c != '/' && !safeByte(c)) {
      return std::nullopt;
    }
    key.push_back(c);
  }
  if (key == "/") return key;
  for (std::size_t pos = 1;;) {
    std::size_t end = key.find('/', pos);
    std::string_view segment = std::string_view(key).substr(pos, end - pos);
    if (segment.empty() || segment.front() == '.') return std::nullopt;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return key;
}

Result<StaticSitePtr> StaticSite::load(const fs::path& dir, const StaticLimits& limits) {
  auto refuse = [&dir](const std::string& why) {
    return makeError(Code::bad_request, "--static-dir " + dir.string() + ": " + why);
  };
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root, ec)) return refuse("not a directory");
  auto site = std::make_shared<StaticSite>();
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return refuse(ec.message());
  std::size_t entries = 0;
  for (const fs::recursive_directory_iterator end; it != end;) {
    if (++entries > limits.max_entries) {
      return refuse("more than " + std::to_string(limits.max_entries) + " entries");
    }
    const fs::path path = it->path();
    const std::string key = "/" + path.lexically_relative(root).generic_string();
    const bool safe_name = staticKey(key) == key;
    auto st = it->symlink_status(ec);
    if (ec) {
      skipped(key, "cannot stat");
    } else if (fs::is_directory(st)) {
      if (!safe_name || it.depth() + 1 >= limits.max_depth) it.disable_recursion_pending();
      if (!safe_name) skipped(key, "hidden or unsafe name");
    } else if (!safe_name) {
      skipped(key, "hidden or unsafe name");
    } else {
      auto body = readInside(root, path, key, limits, site->files_.size(), site->total_bytes_);
      if (!body) return refuse(body.error().message);
      if (*body) {
        site->total_bytes_ += (*body)->size();
        site->files_.emplace(
            key, StaticFile{std::move(**body), std::string(contentType(key)), cacheControl(key)});
      }
    }
    it.increment(ec);
    if (ec) return refuse(ec.message());
  }
  auto index = site->files_.find("/index.html");
  if (index == site->files_.end()) return refuse("no index.html");
  site->page_ = StaticFile{index->second.body, index->second.content_type, "no-cache"};
  return StaticSitePtr(std::move(site));
}

const StaticFile* StaticSite::find(std::string_view target) const {
  auto key = staticKey(target);
  if (!key) return nullptr;
  if (*key == "/") return &page_;
  if (auto it = files_.find(*key); it != files_.end()) return &it->second;
  // The client's own routes ("/rooms/7") have no dot; a missing asset has one.
  if (key->find('.') == std::string::npos) return &page_;
  return nullptr;
}

const std::vector<std::pair<std::string, std::string>>& StaticSite::securityHeaders() {
  static const std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
       "blob: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"},
      {"Referrer-Policy", "no-referrer"},
  };
  return headers;
}

std::vector<std::string> StaticSite::paths() const {
  std::vector<std::string> out;
  out.reserve(files_.size());
  for (const auto& [key, file] : files_) out.push_back(key);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace parley::api
