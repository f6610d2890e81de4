#include "app/backup_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace parley::app::backup {

namespace {

Error ioError(const fs::path& file, std::string_view what, int err = errno) {
  return makeError(err == ENOENT ? Code::not_found : Code::unavailable,
                   file.string() + ": " + std::string(what) + ": " + std::strerror(err));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

Status writeAll(int fd, const char* p, std::size_t n, const fs::path& file) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ioError(file, "write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// Reads `in` to its end, hashing, and writing to `out` when it is open.
Result<FileEntry> pump(int in, int out, const fs::path& from, const fs::path& to, std::string rel) {
  if (sodium_init() < 0) return makeError(Code::internal, "libsodium did not start");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::array<char, 1 << 16> buf;
  FileEntry entry{std::move(rel), 0, ""};
  for (;;) {
    const ssize_t r = ::read(in, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ioError(from, "read");
    if (r == 0) break;
    const auto n = static_cast<std::size_t>(r);
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()), n);
    entry.size += n;
    if (out >= 0) {
      if (auto st = writeAll(out, buf.data(), n, to); !st) return st.error();
    }
  }
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256_final(&state, digest.data());
  entry.sha256 = hex(digest.data(), digest.size());
  if (out >= 0 && ::fsync(out) != 0) return ioError(to, "fsync");
  return entry;
}

}  // namespace

Status requireMissingOrEmpty(const fs::path& dir, std::string_view what) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::path parent = fs::absolute(dir, ec).parent_path();
    if (!fs::is_directory(parent, ec)) {
      return makeError(Code::not_found, std::string(what) + " " + dir.string() +
                                            ": its parent directory does not exist");
    }
    return {};
  }
  if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec) || ec) {
    return makeError(Code::conflict, std::string(what) + " " + dir.string() +
                                         " is not empty (nothing was changed): give a new or "
                                         "empty directory");
  }
  return {};
}

Result<fs::path> makeStaging(const fs::path& target) {
  std::error_code ec;
  fs::path abs = fs::absolute(target, ec).lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();
  std::string name = (abs.parent_path() / ("." + abs.filename().string() + ".partial-XXXXXX"));
  if (::mkdtemp(name.data()) == nullptr) return ioError(abs.parent_path(), "mkdtemp");
  ::chmod(name.c_str(), 0700);
  return fs::path(name);
}

Result<FileEntry> copyFile(const fs::path& from, const fs::path& to, std::string rel) {
  Fd in{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return ioError(from, "open");
  Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (out.fd < 0) return ioError(to, "create");
  return pump(in.fd, out.fd, from, to, std::move(rel));
}

Result<FileEntry> hashFile(const fs::path& file, std::string rel) {
  Fd in{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return ioError(file, "open");
  return pump(in.fd, -1, file, file, std::move(rel));
}

Status writeFile(const fs::path& to, std::string_view text) {
  Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (out.fd < 0) return ioError(to, "create");
  if (auto st = writeAll(out.fd, text.data(), text.size(), to); !st) return st;
  if (::fsync(out.fd) != 0) return ioError(to, "fsync");
  return {};
}

Status makeDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return makeError(Code::unavailable, dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  return {};
}

Status syncDir(const fs::path& dir) {
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return ioError(dir, "fsync");
  return {};
}

Status publish(const fs::path& staging, const fs::path& target) {
  if (::rename(staging.c_str(), target.c_str()) != 0) return ioError(target, "rename");
  std::error_code ec;
  return syncDir(fs::absolute(target, ec).lexically_normal().parent_path());
}

void discard(const fs::path& staging) {
  std::error_code ec;
  fs::remove_all(staging, ec);
}

}  // namespace parley::app::backup
