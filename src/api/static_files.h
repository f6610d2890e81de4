// The built web client, loaded into memory once at start and served only from there.
//
// `StaticSite::load` walks the client's directory once: regular files only (a symlink counts
// only if its target resolves inside the directory), no hidden names, names made of a small
// safe alphabet, and at most `StaticLimits` files and bytes. The loaded table is immutable,
// so I/O threads share it without locks and never touch the disk per request.
//
// `find` looks the decoded request path up in that table, exactly: a path is never joined
// to a directory, so no spelling of a path (encodings, `//`, `..`, backslashes, symlinks)
// can name a file the walk did not load. Paths without a dot are the client's own routes and
// get index.html. Everything else is nullptr, which the caller answers exactly as any other
// missing route (same status, headers and body, whatever the reason).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"

namespace parley::api {

struct StaticLimits {
  std::size_t max_files = 2000;
  std::uint64_t max_bytes = 64ull * 1024 * 1024;
  // Directory entries the walk may visit (skipped ones included) before it gives up: a
  // --static-dir pointing at a large tree fails at start instead of walking it.
  std::size_t max_entries = 20000;
  int max_depth = 16;
};

// One file of the client; immutable once loaded.
struct StaticFile {
  std::string body;
  std::string content_type;
  std::string cache_control;
};

class StaticSite {
 public:
  // Loads `dir`. Fails (bad_request, one line naming the directory) when it is not a
  // directory, has no index.html, or holds more than `limits` allow. Files it leaves out
  // (hidden, unsafe names, symlinks leaving the directory, non-regular) are logged.
  static Result<std::shared_ptr<const StaticSite>> load(const std::filesystem::path& dir,
                                                        const StaticLimits& limits = {});

  // The file for a request target's path (query removed, still percent-encoded), or nullptr.
  // The returned file lives as long as this site.
  const StaticFile* find(std::string_view target) const;

  // The headers every served file carries besides Content-Type and Cache-Control.
  static const std::vector<std::pair<std::string, std::string>>& securityHeaders();

  std::size_t fileCount() const { return files_.size(); }
  std::uint64_t totalBytes() const { return total_bytes_; }
  // The table's keys ("/index.html", "/assets/app-1a2b.js"), sorted.
  std::vector<std::string> paths() const;

 private:
  std::unordered_map<std::string, StaticFile> files_;
  StaticFile page_;  // index.html, served with no-cache for "/" and the client's routes
  std::uint64_t total_bytes_ = 0;
};

using StaticSitePtr = std::shared_ptr<const StaticSite>;

// The table key a request path names: percent-decoded, then accepted only if every segment
// is non-empty, does not start with a dot, and is made of [A-Za-z0-9-_.~@+] (encoded '/'
// or any other byte is refused). "/" stays "/". nullopt: no file can have that name.
std::optional<std::string> staticKey(std::string_view target);

}  // namespace parley::api
