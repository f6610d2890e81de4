#include "app/backup_cmd.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <vector>

#include "adapters/postgres/postgres_store.h"
#include "adapters/sqlite/sqlite_backup.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/backup_files.h"
#include "app/config.h"
#include "app/flag_checks.h"

namespace parley::app {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using backup::FileEntry;

constexpr const char* kManifest = "MANIFEST.json";
constexpr const char* kFormat = "parley-backup";
constexpr std::int64_t kFormatVersion = 1;

// What a backup holds, and where the node keeps each part.
struct Sources {
  fs::path db;
  fs::path search;
  fs::path blobs;         // empty: the blobs are in S3
  fs::path keyring;       // empty: the master key is in a KMS or Vault
  std::string blobs_url;  // the S3 URL when blobs is empty (never printed: credentials)
  std::string keyring_url;
};

struct Manifest {
  std::int64_t created_ms = 0;
  std::int64_t schema_version = 0;
  bool blobs_included = true;
  bool keyring_included = true;
  std::vector<FileEntry> files;
};

int argumentError(std::string_view cmd, const std::string& message) {
  std::cerr << "parley " << cmd << ": " << message << "\n";
  return 2;
}

int failed(std::string_view cmd, const Error& e) {
  std::cerr << "parley " << cmd << ": " << e.message << " (nothing was changed)\n";
  return 1;
}

bool isRemoteKeyring(const std::string& k) {
  return k.rfind("kms+", 0) == 0 || k.rfind("vault+", 0) == 0;
}

Sources sourcesOf(const Config& cfg) {
  Sources s;
  const fs::path data(cfg.data_dir);
  s.db = data / "parley.db";
  s.search = data / "search.db";
  if (cfg.db_url.rfind("sqlite:", 0) == 0) {
    s.db = cfg.db_url.substr(7);
    s.search = cfg.db_url.substr(7) + "-search";
  }
  if (isS3Url(cfg.blobs))
    s.blobs_url = cfg.blobs;
  else
    s.blobs = cfg.blobs.empty() ? data / "blobs" : fs::path(cfg.blobs);
  if (isRemoteKeyring(cfg.keyring))
    s.keyring_url = cfg.keyring;
  else
    s.keyring = cfg.keyring.empty() ? data / "keyring.json" : fs::path(cfg.keyring);
  return s;
}

fs::path normalized(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec).lexically_normal();
  return abs.filename().empty() ? abs.parent_path() : abs;
}

// "DIR [options]": the directory, then parseServeArgs over the rest. Returns an exit code
// when there is nothing more to do (help, bad arguments).
std::optional<int> parseArgs(std::string_view cmd, int argc, const char* const* argv, fs::path& dir,
                             Config& cfg) {
  const std::string usage = "usage: parley " + std::string(cmd) +
                            " DIR [--data-dir D | --config FILE | other serve options]";
  if (argc < 2) return argumentError(cmd, "missing DIR; " + usage);
  const std::string first = argv[1];
  if (first == "--help" || first == "-h") {
    std::cout << usage << "\n(docs/operations.md, \"Backup and restore\")\n";
    return 0;
  }
  if (first.empty() || first[0] == '-') return argumentError(cmd, "DIR comes first; " + usage);
  auto parsed = parseServeArgs(argc - 1, argv + 1);
  if (!parsed) return argumentError(cmd, parsed.error().message);
  if (!*parsed) return 0;
  cfg = std::move(**parsed);
  dir = normalized(first);
  return std::nullopt;
}

json::object manifestJson(const Manifest& m) {
  json::array files;
  for (const auto& f : m.files) {
    files.push_back(json::object{{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  }
  return json::object{{"format", kFormat},
                      {"version", kFormatVersion},
                      {"created_ms", m.created_ms},
                      {"schema_version", m.schema_version},
                      {"blobs_included", m.blobs_included},
                      {"keyring_included", m.keyring_included},
                      {"files", std::move(files)}};
}

// Every blob object (flat: the local store keeps keys with '/' as '~'). A blob deleted
// between the snapshot and its copy (its upload expired) is skipped and counted.
Status copyBlobs(const fs::path& objects, const fs::path& stage, Manifest& m,
                 std::size_t& vanished) {
  std::error_code ec;
  if (!fs::is_directory(objects, ec)) return {};
  if (auto st = backup::makeDir(stage / "blobs" / "objects"); !st) return st;
  for (const auto& entry : fs::directory_iterator(objects, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string rel = "blobs/objects/" + entry.path().filename().string();
    auto copied = backup::copyFile(entry.path(), stage / rel, rel);
    if (!copied && copied.error().code == Code::not_found) {
      ++vanished;
      continue;
    }
    if (!copied) return copied.error();
    m.files.push_back(std::move(*copied));
  }
  if (ec) return makeError(Code::unavailable, objects.string() + ": " + ec.message());
  return backup::syncDir(stage / "blobs" / "objects");
}

Status snapshotInto(const fs::path& from, const fs::path& stage, const std::string& rel,
                    Manifest& m) {
  if (auto st = sqlite::snapshotSqlite(from, stage / rel); !st) return st;
  auto hashed = backup::hashFile(stage / rel, rel);
  if (!hashed) return hashed.error();
  m.files.push_back(std::move(*hashed));
  return {};
}

// The order keeps the parts consistent with each other while the node writes: the search
// index first (older than the store, so the indexer only catches up), then the store (one
// snapshot), then the blobs (each written before the row naming it, so every file of the
// snapshot is there), then the keyring (keys are only ever added).
Status stageBackup(const Sources& src, const fs::path& stage, Manifest& m, std::size_t& vanished) {
  std::error_code ec;
  if (fs::exists(src.search, ec)) {
    if (auto st = snapshotInto(src.search, stage, "search.db", m); !st) return st;
  }
  if (auto st = snapshotInto(src.db, stage, "parley.db", m); !st) return st;
  auto version = sqlite::checkSqliteCopy(stage / "parley.db", true);
  if (!version) return version.error();
  m.schema_version = *version;
  m.blobs_included = !src.blobs.empty();
  if (m.blobs_included) {
    if (auto st = copyBlobs(src.blobs / "objects", stage, m, vanished); !st) return st;
  }
  m.keyring_included = !src.keyring.empty();
  if (m.keyring_included) {
    auto copied = backup::copyFile(src.keyring, stage / "keyring.json", "keyring.json");
    if (!copied) return copied.error();
    m.files.push_back(std::move(*copied));
  }
  const std::string text = json::serialize(manifestJson(m)) + "\n";
  if (auto st = backup::writeFile(stage / kManifest, text); !st) return st;
  return backup::syncDir(stage);
}

void printBackup(const fs::path& dir, const Manifest& m, std::size_t vanished) {
  std::uint64_t bytes = 0;
  std::size_t blobs = 0;
  for (const auto& f : m.files) {
    bytes += f.size;
    if (f.path.rfind("blobs/", 0) == 0) ++blobs;
  }
  std::cout << "backup written to " << dir.string() << ": " << m.files.size() << " files, " << bytes
            << " bytes, schema version " << m.schema_version << ", " << blobs << " blobs\n";
  if (vanished > 0) {
    std::cout << "note: " << vanished << " blobs were deleted while the backup ran (expired "
              << "uploads); they are not in it\n";
  }
  if (!m.blobs_included) std::cout << "note: the blobs are in S3 and not in this backup\n";
  if (!m.keyring_included) {
    std::cout << "note: the master key is in a KMS or Vault and not in this backup; without "
                 "it nothing in the backup opens\n";
  }
  if (m.keyring_included) {
    std::cout << "the backup holds the keyring (the master key): keep it as secret as the "
                 "keyring itself\n"
              << "it does not hold keyring-scopes.json (the rooms' shred secrets): back that up "
                 "apart, newest copy only (docs/operations.md, \"A restore from before a "
                 "deletion\")\n";
  }
}

// "postgresql://user:secret@host/db" without the password, for a printed command.
std::string withoutPassword(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "'<your connection string, without the password>'";
  const auto at = url.find('@', scheme + 3);
  const auto colon = url.find(':', scheme + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

int postgresPlan(const fs::path& dir, const Config& cfg) {
  auto have = postgres::postgresStoredSchemaVersion(cfg.db_url);
  if (!have) return failed("backup", have.error());
  const int want = postgres::postgresSchemaVersion();
  std::cout << "The store is PostgreSQL (schema version " << *have << ", this build " << want
            << "). parley backup does not copy it; run:\n"
            << "  pg_dump --format=custom --file=" << (dir / "parley.pgdump").string() << " '"
            << withoutPassword(cfg.db_url) << "'\n"
            << "(the password from PGPASSWORD or ~/.pgpass; pg_dump takes one consistent "
               "snapshot while nodes keep writing)\n";
  if (isS3Url(cfg.blobs)) {
    std::cout << "Blobs are in S3: keep the bucket versioned, or copy it after the dump "
                 "(aws s3 sync; each blob is written before the row naming it)\n";
  }
  if (isRemoteKeyring(cfg.keyring)) {
    std::cout << "The master key is in a KMS or Vault: back it up there\n";
  } else {
    std::cout << "Copy the keyring file (0600) too, kept apart from the dump\n";
  }
  if (*have != want) {
    std::cerr << "parley backup: the database's schema version " << *have << " is not this build's "
              << want << ": run parley migrate first\n";
    return 1;
  }
  return 0;
}

// ---- restore

Error corrupt(const std::string& what) {
  return makeError(Code::internal, "not a sound Parley backup: " + what);
}

// The only paths a backup holds: the two databases, the keyring and flat blob objects.
bool allowedPath(const std::string& p) {
  if (p == "parley.db" || p == "search.db" || p == "keyring.json") return true;
  const std::string prefix = "blobs/objects/";
  if (p.rfind(prefix, 0) != 0) return false;
  const std::string name = p.substr(prefix.size());
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

Result<FileEntry> entryOf(const json::value& v) {
  const auto* o = v.if_object();
  const json::value* path = o ? o->if_contains("path") : nullptr;
  const json::value* size = o ? o->if_contains("size") : nullptr;
  const json::value* sha = o ? o->if_contains("sha256") : nullptr;
  if (!path || !path->is_string() || !size || !(size->is_uint64() || size->is_int64()) || !sha ||
      !sha->is_string() || sha->as_string().size() != 64) {
    return corrupt("a file entry of MANIFEST.json is malformed");
  }
  FileEntry f{std::string(path->as_string()), size->to_number<std::uint64_t>(),
              std::string(sha->as_string())};
  if (!allowedPath(f.path)) return corrupt("MANIFEST.json names the path " + f.path);
  return f;
}

Result<Manifest> readManifest(const fs::path& dir) {
  auto hashed = backup::hashFile(dir / kManifest, kManifest);  // also: is it readable
  if (!hashed) return corrupt("no readable MANIFEST.json in " + dir.string());
  if (hashed->size > (64u << 20)) return corrupt("MANIFEST.json is too large");
  std::ifstream in(dir / kManifest, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (!o || !o->contains("format") || o->at("format") != kFormat || !o->contains("version") ||
      o->at("version") != kFormatVersion || !o->contains("files") || !o->at("files").is_array()) {
    return corrupt("MANIFEST.json is not a parley-backup version 1 manifest");
  }
  Manifest m;
  std::set<std::string> seen;
  for (const auto& f : o->at("files").as_array()) {
    auto entry = entryOf(f);
    if (!entry) return entry.error();
    if (!seen.insert(entry->path).second) return corrupt("MANIFEST.json repeats " + entry->path);
    m.files.push_back(std::move(*entry));
  }
  if (!seen.count("parley.db")) return corrupt("MANIFEST.json lists no parley.db");
  const auto* keyring = o->if_contains("keyring_included");
  m.keyring_included = keyring && keyring->is_bool() && keyring->as_bool();
  const auto* blobs = o->if_contains("blobs_included");
  m.blobs_included = blobs && blobs->is_bool() && blobs->as_bool();
  return m;
}

// The directory holds exactly the manifest's files (and the folders of the blobs).
Status sameFiles(const fs::path& dir, const Manifest& m) {
  std::set<std::string> listed;
  for (const auto& f : m.files) listed.insert(f.path);
  std::set<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    if (it->is_directory(ec) && !it->is_symlink(ec) && (rel == "blobs" || rel == "blobs/objects"))
      continue;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) return corrupt("unexpected entry " + rel);
    if (rel != kManifest) found.insert(rel);
  }
  if (ec) return corrupt(dir.string() + ": " + ec.message());
  for (const auto& p : listed) {
    if (!found.count(p)) return corrupt(p + " is missing");
  }
  for (const auto& p : found) {
    if (!listed.count(p)) return corrupt(p + " is not in MANIFEST.json");
  }
  return {};
}

// Copies every file into the staging data dir, checking each copy's size and SHA-256.
Status stageRestore(const fs::path& from, const Manifest& m, const fs::path& stage) {
  for (const auto& f : m.files) {
    const fs::path to = stage / f.path;
    if (auto st = backup::makeDir(to.parent_path()); !st) return st;
    auto copied = backup::copyFile(from / f.path, to, f.path);
    if (!copied) return copied.error();
    if (copied->size != f.size || copied->sha256 != f.sha256) {
      return corrupt(f.path + " does not match its size or SHA-256 in MANIFEST.json");
    }
  }
  for (const char* db : {"parley.db", "search.db"}) {
    std::error_code ec;
    if (!fs::exists(stage / db, ec)) continue;
    auto version = sqlite::checkSqliteCopy(stage / db, std::string_view(db) == "parley.db");
    if (!version) return corrupt(version.error().message);
  }
  std::error_code ec;
  if (fs::exists(stage / "blobs" / "objects", ec)) {
    if (auto st = backup::syncDir(stage / "blobs" / "objects"); !st) return st;
    if (auto st = backup::syncDir(stage / "blobs"); !st) return st;
  }
  return backup::syncDir(stage);
}

// Restore writes the default layout of --data-dir; flags that move a part elsewhere would
// make the restored node look for it there.
Status checkRestoreFlags(const Config& cfg) {
  if (isPostgresUrl(cfg.db_url)) {
    return makeError(Code::bad_request,
                     "a PostgreSQL store is restored with pg_restore (docs/operations.md), not "
                     "parley restore");
  }
  if (!cfg.db_url.empty())
    return makeError(Code::bad_request, "--db: restore writes <data-dir>/parley.db; drop --db");
  if (!cfg.blobs.empty() && !isS3Url(cfg.blobs)) {
    return makeError(Code::bad_request, "--blobs: restore writes <data-dir>/blobs; drop --blobs");
  }
  if (!cfg.keyring.empty() && !isRemoteKeyring(cfg.keyring)) {
    return makeError(Code::bad_request,
                     "--keyring: restore writes <data-dir>/keyring.json; drop --keyring");
  }
  return {};
}

Result<Manifest> checkedBackup(const fs::path& from) {
  auto m = readManifest(from);
  if (!m) return m.error();
  if (auto st = sameFiles(from, *m); !st) return st.error();
  return m;
}

void printRestore(const fs::path& from, const fs::path& to, const Manifest& m) {
  std::cout << "restored " << m.files.size() << " files from " << from.string() << " into "
            << to.string() << "\n";
  if (m.keyring_included) {
    std::cout << "next: copy the newest keyring-scopes.json (the rooms' shred secrets) into "
              << to.string() << " before starting the node; rooms deleted since stay "
              << "unreadable (docs/operations.md, \"A restore from before a deletion\")\n";
  }
  if (!m.keyring_included) {
    std::cout << "note: the backup holds no keyring: start the node with the --keyring "
                 "(KMS or Vault) the backed-up node used\n";
  }
  if (!m.blobs_included) {
    std::cout << "note: the backup holds no blobs: start the node with the --blobs (S3) the "
                 "backed-up node used\n";
  }
}

}  // namespace

int backupCommand(int argc, const char* const* argv) {
  fs::path dir;
  Config cfg;
  if (auto rc = parseArgs("backup", argc, argv, dir, cfg)) return *rc;
  ::umask(077);  // the backup holds the keyring: nothing in it for group or others
  if (auto st = checkFlags(cfg); !st) return argumentError("backup", st.error().message);
  if (isPostgresUrl(cfg.db_url)) return postgresPlan(dir, cfg);
  if (auto st = backup::requireMissingOrEmpty(dir, "backup directory"); !st) {
    return argumentError("backup", st.error().message);
  }
  const Sources src = sourcesOf(cfg);
  std::error_code ec;
  if (!fs::is_regular_file(src.db, ec)) {
    return argumentError("backup", "no database at " + src.db.string() +
                                       " (is --data-dir right?); nothing was written");
  }
  auto stage = backup::makeStaging(dir);
  if (!stage) return failed("backup", stage.error());
  Manifest m;
  m.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::size_t vanished = 0;
  Status st = stageBackup(src, *stage, m, vanished);
  if (st) st = backup::publish(*stage, dir);
  if (!st) {
    backup::discard(*stage);
    return failed("backup", st.error());
  }
  printBackup(dir, m, vanished);
  return 0;
}

int restoreCommand(int argc, const char* const* argv) {
  fs::path from;
  Config cfg;
  if (auto rc = parseArgs("restore", argc, argv, from, cfg)) return *rc;
  ::umask(077);  // a data dir is 0700 with 0600 files, like the one serve makes
  if (auto st = checkFlags(cfg); !st) return argumentError("restore", st.error().message);
  if (auto st = checkRestoreFlags(cfg); !st) return argumentError("restore", st.error().message);
  const fs::path to = normalized(cfg.data_dir);
  if (auto st = backup::requireMissingOrEmpty(to, "--data-dir"); !st) {
    return argumentError("restore", st.error().message);
  }
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return argumentError("restore", "no backup directory " + from.string());
  }
  auto m = checkedBackup(from);
  if (!m) return failed("restore", m.error());
  auto stage = backup::makeStaging(to);
  if (!stage) return failed("restore", stage.error());
  Status st = stageRestore(from, *m, *stage);
  if (st) st = backup::publish(*stage, to);
  if (!st) {
    backup::discard(*stage);
    return failed("restore", st.error());
  }
  printRestore(from, to, *m);
  return 0;
}

}  // namespace parley::app
