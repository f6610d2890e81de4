#include "media/mime.h"

#include <magic.h>

#include <array>
#include <memory>
#include <mutex>

#include "core/log.h"

namespace parley::media {
namespace {

constexpr std::string_view kFallback = "application/octet-stream";

// One cookie for the process, behind a mutex: a libmagic cookie is not thread-safe, and
// each one holds its own copy of the compiled database (several MiB), so one per thread
// would cost memory for little gain (a lookup on a few KiB takes microseconds).
class Magic {
 public:
  Magic() {
    // NO_CHECK_COMPRESS: never decompress untrusted input in-process to look inside it.
    cookie_ = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
    if (cookie_ == nullptr) {
      log::error("magic_open_failed");
      return;
    }
    if (magic_load(cookie_, nullptr) != 0) {
      log::error("magic_load_failed", {{"error", error()}});
      magic_close(cookie_);
      cookie_ = nullptr;
      return;
    }
    std::size_t bytes_max = kMimeSniffBytes;
    magic_setparam(cookie_, MAGIC_PARAM_BYTES_MAX, &bytes_max);
  }
  ~Magic() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }
  Magic(const Magic&) = delete;
  Magic& operator=(const Magic&) = delete;

  std::string detect(std::string_view head) {
    if (head.size() > kMimeSniffBytes) head = head.substr(0, kMimeSniffBytes);
    std::lock_guard lock(mu_);
    if (cookie_ == nullptr) return std::string(kFallback);
    // magic_buffer with a null pointer and size 0 is fine, but be explicit.
    static constexpr char kEmpty = 0;
    const char* r = magic_buffer(cookie_, head.empty() ? &kEmpty : head.data(), head.size());
    if (r == nullptr) {
      log::warn("magic_detect_failed", {{"error", error()}});
      return std::string(kFallback);
    }
    return std::string(r);
  }

 private:
  std::string error() const {
    const char* e = magic_error(cookie_);
    return e != nullptr ? e : "unknown error";
  }

  std::mutex mu_;
  magic_t cookie_ = nullptr;
};

Magic& instance() {
  static Magic m;  // thread-safe initialisation (C++11 magic statics)
  return m;
}

}  // namespace

std::string detectMime(std::string_view head) { return instance().detect(head); }

bool isThumbnailable(std::string_view mime) {
  static constexpr std::array<std::string_view, 4> kTypes = {"image/png", "image/jpeg", "image/gif",
                                                             "image/webp"};
  for (auto t : kTypes)
    if (mime == t) return true;
  return false;
}

}  // namespace parley::media
