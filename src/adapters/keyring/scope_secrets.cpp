#include "adapters/keyring/scope_secrets.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "crypto/random.h"
#include "crypto/sealer.h"

namespace parley::keyring {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view kFormat = "parley-scope-secrets";
constexpr off_t kMaxFileBytes = off_t{256} << 20;  // ~3 million rooms

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Error sysError(std::string_view what, const fs::path& file, int err) {
  return makeError(Code::internal,
                   std::string(what) + " " + file.string() + ": " + std::strerror(err));
}

Error malformed(const fs::path& file, std::string_view why) {
  return makeError(Code::internal, "scope secrets " + file.string() + " are malformed (" +
                                       std::string(why) + "); it was left untouched");
}

Result<std::string> readAll(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    if (errno == ENOENT) return std::string();
    return sysError("cannot open", file, errno);
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return sysError("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode)) return malformed(file, "not a regular file");
  if ((st.st_mode & 077) != 0) {
    return makeError(Code::internal, "scope secrets " + file.string() +
                                         " may be read by group/others: run `chmod 600 " +
                                         file.string() + "` after checking who read it");
  }
  if (st.st_size > kMaxFileBytes) return malformed(file, "larger than 256 MiB");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("cannot read", file, errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  return text;
}

// The base64 text is secret: the caller wipes it after writing.
std::string serialize(const ScopeSecrets& s) {
  std::string out = "{\"format\": \"parley-scope-secrets\", \"version\": 1,\n \"secrets\": {";
  bool first = true;
  for (const auto& [scope, key] : s.secrets) {
    std::string b64 = crypto::base64url(key.view());
    out += first ? "\n  \"" : ",\n  \"";
    out += scope + "\": \"" + b64 + "\"";  // scopes are validated: no escaping needed
    crypto::wipe(b64);
    first = false;
  }
  out += "},\n \"destroyed\": [";
  first = true;
  for (const auto& scope : s.destroyed) {
    out += first ? "\"" : ", \"";
    out += scope + "\"";
    first = false;
  }
  out += "]}\n";
  return out;
}

Status writeAtomically(const fs::path& file, const ScopeSecrets& s) {
  fs::path tmp = file;
  tmp += ".tmp-" + crypto::toHex(crypto::randomBytes(8));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.fd < 0) return sysError("cannot create", tmp, errno);
  std::string text = serialize(s);
  std::size_t done = 0;
  int err = 0;
  while (done < text.size() && err == 0) {
    ssize_t n = ::write(fd.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  crypto::wipe(text);
  if (err == 0 && ::fsync(fd.fd) != 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), file.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return sysError("cannot write", file, err);
  }
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0 || ::fsync(d.fd) != 0) return sysError("cannot sync the directory of", file, errno);
  return {};
}

}  // namespace

bool validScope(std::string_view scope) {
  if (scope.empty() || scope.size() > 64) return false;
  for (char c : scope) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

fs::path scopeSecretsPath(const fs::path& keyring) {
  fs::path out = keyring.parent_path();
  out /= keyring.stem().string() + "-scopes.json";
  return out;
}

Result<ScopeSecrets> parseScopeSecrets(std::string_view text, const fs::path& file) {
  ScopeSecrets out;
  if (text.empty()) return out;
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  const json::object* o = ec ? nullptr : doc.if_object();
  if (!o) return malformed(file, "not a JSON object");
  const json::value* format = o->if_contains("format");
  const json::value* version = o->if_contains("version");
  const json::value* secrets = o->if_contains("secrets");
  const json::value* destroyed = o->if_contains("destroyed");
  if (!format || !format->is_string() || format->get_string() != kFormat || !version ||
      !version->is_int64() || version->get_int64() != 1 || !secrets || !secrets->is_object() ||
      !destroyed || !destroyed->is_array()) {
    return malformed(file, "not a parley-scope-secrets version 1 file");
  }
  for (const auto& [scope, v] : secrets->get_object()) {
    if (!validScope(scope) || !v.is_string()) return malformed(file, "a bad secret entry");
    auto bytes = crypto::fromBase64url(v.get_string());
    if (!bytes || bytes->size() != crypto::kKeyBytes) {
      if (bytes) crypto::wipe(*bytes);
      return malformed(file, "the secret of " + std::string(scope) + " is not 32 bytes");
    }
    out.secrets.emplace(std::string(scope), crypto::SecretBytes(std::move(*bytes)));
  }
  for (const auto& v : destroyed->get_array()) {
    if (!v.is_string() || !validScope(v.get_string())) return malformed(file, "a bad scope");
    out.destroyed.insert(std::string(v.get_string()));
  }
  return out;
}

Result<ScopeSecrets> readScopeSecrets(const fs::path& file) {
  auto text = readAll(file);
  if (!text) return text.error();
  auto parsed = parseScopeSecrets(*text, file);
  crypto::wipe(*text);
  return parsed;
}

Result<ScopeSecrets> updateScopeSecrets(const fs::path& file,
                                        const std::function<Status(ScopeSecrets&)>& change) {
  fs::path lock_path = file;
  lock_path += ".lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.fd < 0) return sysError("cannot open", lock_path, errno);
  while (::flock(lock.fd, LOCK_EX) != 0) {
    if (errno != EINTR) return sysError("cannot lock", lock_path, errno);
  }
  auto current = readScopeSecrets(file);  // unlocked when `lock` closes
  if (!current) return current.error();
  if (auto st = change(*current); !st) return st.error();
  if (auto st = writeAtomically(file, *current); !st) return st.error();
  return std::move(*current);
}

FileStamp stampOf(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return FileStamp{st.st_dev, st.st_ino,
                   std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                   st.st_size};
}

}  // namespace parley::keyring
