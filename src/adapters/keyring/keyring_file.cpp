#include "adapters/keyring/keyring_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "crypto/random.h"
#include "crypto/sealer.h"

namespace parley::keyring {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view kFormat = "parley-keyring";
constexpr std::int64_t kVersion = 1;
constexpr off_t kMaxFileBytes = 1 << 20;  // thousands of keys; anything bigger is not ours

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close() reports delayed write errors, so writers call it explicitly.
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Error sysError(std::string_view what, const fs::path& file, int err) {
  return makeError(Code::internal,
                   std::string(what) + " keyring " + file.string() + ": " + std::strerror(err));
}

Error malformed(const fs::path& file, std::string_view why) {
  return makeError(Code::internal, "keyring " + file.string() + " is malformed (" +
                                       std::string(why) +
                                       "); it was left untouched: restore it from a backup");
}

bool validId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> readAll(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return makeError(Code::not_found, "no keyring at " + file.string());
    return sysError("cannot open", file, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sysError("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode)) {
    return makeError(Code::internal, "keyring " + file.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return makeError(Code::internal, "keyring " + file.string() + " has mode " + mode +
                                         ": group/others may access the master keys; run "
                                         "`chmod 600 " +
                                         file.string() + "` after checking who read it");
  }
  if (st.st_size > kMaxFileBytes) return malformed(file, "larger than 1 MiB");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("cannot read", file, errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  return text;
}

Result<MasterKey> parseKey(const fs::path& file, const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) return malformed(file, "a key entry is not an object");
  const json::value* id = o->if_contains("id");
  const json::value* created = o->if_contains("created_ms");
  const json::value* key = o->if_contains("key");
  if (!id || !id->is_string() || !validId(id->get_string())) {
    return malformed(file, "a key has no valid \"id\"");
  }
  if (!created || !created->is_int64()) return malformed(file, "a key has no \"created_ms\"");
  if (!key || !key->is_string()) return malformed(file, "a key has no \"key\"");
  auto bytes = crypto::fromBase64url(key->get_string());
  if (!bytes || bytes->size() != crypto::kKeyBytes) {
    if (bytes) crypto::wipe(*bytes);
    return malformed(file,
                     "key \"" + std::string(id->get_string()) + "\" is not 32 base64url bytes");
  }
  return MasterKey{std::string(id->get_string()), created->get_int64(),
                   crypto::SecretBytes(std::move(*bytes))};
}

}  // namespace

Result<std::vector<MasterKey>> parseKeyring(std::string_view text, const fs::path& file) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return malformed(file, "not JSON: " + ec.message());
  const json::object* o = doc.if_object();
  if (!o) return malformed(file, "not a JSON object");
  const json::value* format = o->if_contains("format");
  const json::value* version = o->if_contains("version");
  const json::value* keys = o->if_contains("keys");
  if (!format || !format->is_string() || format->get_string() != kFormat) {
    return malformed(file, "\"format\" is not \"parley-keyring\"");
  }
  if (!version || !version->is_int64() || version->get_int64() != kVersion) {
    return malformed(file, "unsupported \"version\"; this build reads version 1");
  }
  if (!keys || !keys->is_array() || keys->get_array().empty()) {
    return malformed(file, "\"keys\" is not a non-empty array");
  }
  std::vector<MasterKey> out;
  std::set<std::string> seen;
  for (const json::value& k : keys->get_array()) {
    auto key = parseKey(file, k);
    if (!key) return key.error();
    if (!seen.insert(key->id).second) return malformed(file, "duplicate key id " + key->id);
    out.push_back(std::move(*key));
  }
  return out;
}

namespace {

// The base64 key text is secret: the caller wipes the returned string after writing it.
std::string serialize(const std::vector<MasterKey>& keys) {
  std::string out = "{\n  \"format\": \"parley-keyring\",\n  \"version\": 1,\n  \"keys\": [\n";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string b64 = crypto::base64url(keys[i].key.view());
    // ids are validated to [0-9A-Za-z_-] and base64url needs no escaping.
    out += "    {\"id\": \"" + keys[i].id +
           "\", \"created_ms\": " + std::to_string(keys[i].created_ms) + ", \"key\": \"" + b64 +
           "\"}";
    out += i + 1 < keys.size() ? ",\n" : "\n";
    crypto::wipe(b64);
  }
  out += "  ]\n}\n";
  return out;
}

Status syncDirectoryOf(const fs::path& file) {
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0)
    return sysError("cannot sync directory of", file, errno);
  return {};
}

// Writes `keys` to a fresh 0600 temporary file next to `file`; returns its path.
Result<fs::path> writeTemporary(const fs::path& file, const std::vector<MasterKey>& keys) {
  fs::path tmp = file;
  tmp += ".tmp-" + crypto::toHex(crypto::randomBytes(8));
  // O_EXCL: the mode is set at creation, so the keys are never readable by others, not
  // even for an instant (the umask can only remove bits).
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return sysError("cannot create", tmp, errno);
  std::string text = serialize(keys);
  std::size_t done = 0;
  int err = 0;
  while (done < text.size() && err == 0) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  crypto::wipe(text);
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (!fd.close() && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return sysError("cannot write", tmp, err);
  }
  return tmp;
}

}  // namespace

MasterKey newMasterKey() {
  using namespace std::chrono;
  auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return MasterKey{crypto::toHex(crypto::randomBytes(8)), now,
                   crypto::SecretBytes(crypto::randomBytes(crypto::kKeyBytes))};
}

Result<std::vector<MasterKey>> readKeyringFile(const fs::path& file) {
  auto text = readAll(file);
  if (!text) return text.error();
  auto keys = parseKeyring(*text, file);
  crypto::wipe(*text);
  return keys;
}

Status createKeyringFile(const fs::path& file, const std::vector<MasterKey>& keys) {
  auto tmp = writeTemporary(file, keys);
  if (!tmp) return tmp.error();
  // link() never replaces: if another process created the keyring meanwhile, we keep
  // theirs and the caller reads it.
  int rc = ::link(tmp->c_str(), file.c_str());
  int err = errno;
  ::unlink(tmp->c_str());
  if (rc != 0 && err == EEXIST) return makeError(Code::conflict, "keyring already exists");
  if (rc != 0) return sysError("cannot create", file, err);
  return syncDirectoryOf(file);
}

Status replaceKeyringFile(const fs::path& file, const std::vector<MasterKey>& keys) {
  auto tmp = writeTemporary(file, keys);
  if (!tmp) return tmp.error();
  if (::rename(tmp->c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp->c_str());
    return sysError("cannot replace", file, err);
  }
  return syncDirectoryOf(file);
}

}  // namespace parley::keyring
