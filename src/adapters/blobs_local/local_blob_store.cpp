#include "adapters/blobs_local/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "crypto/random.h"

namespace parley::blobs_local {

namespace fs = std::filesystem;

namespace {

Error ioError(std::string_view what, int err) {
  return makeError(Code::unavailable, std::string(what) + ": " + std::strerror(err));
}

Error badKey() { return makeError(Code::bad_request, "invalid blob key"); }

// '/' is not in the key grammar's character set for names, '~' is not in it at all: the
// mapping is one-to-one and the result is a single path component.
std::string fileNameOf(std::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '/', '~');
  return name;
}

std::string keyOf(std::string_view file_name) {
  std::string key(file_name);
  std::replace(key.begin(), key.end(), '~', '/');
  return key;
}

std::int64_t mtimeMs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ioError("write", errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(fs::path dir) : objects_(dir / "objects"), tmp_(dir / "tmp") {}

  boost::asio::awaitable<Result<BlobInfo>> put(std::string key, BlobSource& source) override {
    if (!isValidBlobKey(key)) co_return badKey();
    const fs::path tmp = tmp_ / (crypto::toHex(crypto::randomBytes(16)) + ".part");
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) co_return ioError("create", errno);
    Status st = co_await copyFrom(source, fd.get());
    if (st && ::fsync(fd.get()) != 0) st = ioError("fsync", errno);
    if (st && ::close(fd.release()) != 0) st = ioError("close", errno);
    const fs::path final_path = objects_ / fileNameOf(key);
    if (st && ::rename(tmp.c_str(), final_path.c_str()) != 0) st = ioError("rename", errno);
    if (!st) {
      ::unlink(tmp.c_str());
      co_return st.error();
    }
    syncDir(objects_);
    co_return statPath(key, final_path);
  }

  boost::asio::awaitable<Result<std::string>> read(std::string key, std::uint64_t offset,
                                                   std::uint64_t length) override {
    if (!isValidBlobKey(key)) co_return badKey();
    Fd fd(::open((objects_ / fileNameOf(key)).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) co_return missingOr(errno, "open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) co_return ioError("fstat", errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (offset >= size) co_return std::string();
    std::string out(std::min({length, size - offset, kMaxBlobReadBytes}), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n =
          ::pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) co_return ioError("read", errno);
      if (n == 0) break;  // the file shrank: only a replaced object does that, never in place
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    co_return out;
  }

  boost::asio::awaitable<Result<BlobInfo>> stat(std::string key) override {
    if (!isValidBlobKey(key)) co_return badKey();
    co_return statPath(key, objects_ / fileNameOf(key));
  }

  boost::asio::awaitable<Status> remove(std::string key) override {
    if (!isValidBlobKey(key)) co_return badKey();
    if (::unlink((objects_ / fileNameOf(key)).c_str()) != 0 && errno != ENOENT) {
      co_return ioError("unlink", errno);
    }
    co_return Status{};
  }

  boost::asio::awaitable<Result<std::vector<BlobInfo>>> listOlderThan(
      std::string prefix, std::int64_t before_ms, std::size_t limit,
      std::string start_after) override {
    if (!isValidBlobPrefix(prefix)) co_return makeError(Code::bad_request, "invalid blob prefix");
    co_return scan(prefix, before_ms, limit, start_after);
  }

 private:
  boost::asio::awaitable<Status> copyFrom(BlobSource& source, int fd) {
    for (;;) {
      Result<std::string> piece = co_await source.next();
      if (!piece) co_return piece.error();
      if (piece->empty()) co_return Status{};
      Status st = writeAll(fd, *piece);
      if (!st) co_return st;
    }
  }

  static Error missingOr(int err, std::string_view what) {
    if (err == ENOENT) return makeError(Code::not_found, "no such blob");
    return ioError(what, err);
  }

  static Result<BlobInfo> statPath(const std::string& key, const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return missingOr(errno, "stat");
    return BlobInfo{key, static_cast<std::uint64_t>(st.st_size), mtimeMs(st)};
  }

  static void syncDir(const fs::path& dir) {
    // Best effort: the rename is already atomic; this makes it durable across power loss.
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
  }

  Result<std::vector<BlobInfo>> scan(const std::string& prefix, std::int64_t before_ms,
                                     std::size_t limit, const std::string& start_after) const {
    std::vector<BlobInfo> out;
    std::error_code ec;
    fs::directory_iterator it(objects_, ec);
    if (ec) return ioError("list", ec.value());
    for (const auto& entry : it) {
      std::string key = keyOf(entry.path().filename().string());
      if (key.compare(0, prefix.size(), prefix) != 0 || !isValidBlobKey(key)) continue;
      if (!start_after.empty() && key <= start_after) continue;
      auto info = statPath(key, entry.path());
      if (!info || info->modified_ms >= before_ms) continue;  // removed meanwhile, or too new
      out.push_back(std::move(*info));
    }
    std::sort(out.begin(), out.end(),
              [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  fs::path objects_;
  fs::path tmp_;
};

Status makeDir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ioError("mkdir", errno);
  return {};
}

}  // namespace

Result<BlobStorePtr> makeLocalBlobStore(const fs::path& dir) {
  for (const fs::path& d : {dir, dir / "objects", dir / "tmp"}) {
    Status st = makeDir(d);
    if (!st)
      return makeError(Code::internal, "blob directory " + d.string() + ": " + st.error().message);
  }
  // Temp files left by a crash belong to puts that never completed.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "tmp", ec)) {
    fs::remove(entry.path(), ec);
  }
  return BlobStorePtr(std::make_unique<LocalBlobStore>(dir));
}

}  // namespace parley::blobs_local
