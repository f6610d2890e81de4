// File-system steps of `parley backup` and `parley restore` (backup_cmd.cpp): a staging
// directory beside the target, durable 0600 copies with their SHA-256, and one rename that
// makes the whole result appear at once. Blocking.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace parley::app::backup {

namespace fs = std::filesystem;

struct FileEntry {
  std::string path;  // relative, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

// Code::conflict naming `dir` when it exists and is not an empty directory; ok when it is
// missing (its parent must exist: Code::not_found otherwise) or empty.
Status requireMissingOrEmpty(const fs::path& dir, std::string_view what);

// A new 0700 directory `.<name>.partial-XXXXXX` beside `target`, in the same file system so
// that publish() can rename it.
Result<fs::path> makeStaging(const fs::path& target);

// Copies `from` to the new file `to` (0600, O_EXCL, fsynced), hashing the bytes copied.
// Code::not_found when `from` is gone (a blob deleted meanwhile).
Result<FileEntry> copyFile(const fs::path& from, const fs::path& to, std::string rel);

// The size and SHA-256 of `file`.
Result<FileEntry> hashFile(const fs::path& file, std::string rel);

// Writes `text` to the new file `to` (0600, fsynced).
Status writeFile(const fs::path& to, std::string_view text);

// Makes a 0700 directory (and its missing parents).
Status makeDir(const fs::path& dir);

// fsyncs a directory, so the names made in it survive a crash.
Status syncDir(const fs::path& dir);

// Renames `staging` onto `target` (which is missing or an empty directory, so rename(2)
// replaces it atomically) and fsyncs the parent.
Status publish(const fs::path& staging, const fs::path& target);

// Removes `staging` and everything in it; for the failure paths (errors ignored).
void discard(const fs::path& staging);

}  // namespace parley::app::backup
