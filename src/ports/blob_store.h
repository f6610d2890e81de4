// BlobStore: opaque, immutable objects (file attachments, thumbnails) kept outside the Store.
// Adapters: a local directory (the embedded default) and the S3 API.
//
// Contract:
// - Thread-safe; every method is a coroutine that may be awaited from any executor.
// - Keys are made by the server, never taken from a client: 1..200 characters of
//   [A-Za-z0-9._-] in '/'-separated segments, no empty, "." or ".." segment, no leading or
//   trailing '/'. A key outside that grammar is refused with Code::bad_request before any I/O,
//   so no adapter can be steered outside its directory or bucket.
// - Objects are written once: put() of an existing key replaces it. A put is atomic: readers
//   see the old object, no object, or the whole new one, never a prefix. A failed put leaves
//   nothing behind that read() or list() would show (multipart uploads are aborted).
// - Bytes are stored as given: callers seal content first (crypto/chunked.h, DESIGN.md
//   invariant 5). An adapter never sees plaintext and never logs object contents.
// - Not found: read() and stat() answer Code::not_found for a missing key; remove() of a
//   missing key succeeds (it is idempotent, so a retried cleanup is harmless).
// - Failure: a dependency that cannot be reached or answers with a server error (after the
//   adapter's own retries) gives Code::unavailable; anything else unexpected Code::internal.
//   Methods never throw for I/O errors.
// - Bounded: read() returns at most `length` bytes and callers ask for bounded ranges; put()
//   pulls chunks from its source one at a time, so an object is never held whole in memory.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley {

// What a listing or stat reports about one object.
struct BlobInfo {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t modified_ms = 0;  // wall-clock time of the last put, ms since the Unix epoch
};

// Where put() pulls an object's bytes from. next() returns the next piece (any size, at most
// a few MiB so memory stays bounded), an empty string at the end, or an error that aborts
// the put. Called sequentially from the put's coroutine only.
class BlobSource {
 public:
  virtual ~BlobSource() = default;
  virtual boost::asio::awaitable<Result<std::string>> next() = 0;
};

// A BlobSource over bytes already in memory, served in pieces of `piece` bytes (for small
// objects and tests).
class StringBlobSource final : public BlobSource {
 public:
  explicit StringBlobSource(std::string bytes, std::size_t piece = 1 << 20)
      : bytes_(std::move(bytes)), piece_(piece == 0 ? 1 : piece) {}
  boost::asio::awaitable<Result<std::string>> next() override {
    std::string out = bytes_.substr(pos_, piece_);
    pos_ += out.size();
    co_return out;
  }

 private:
  std::string bytes_;
  std::size_t piece_;
  std::size_t pos_ = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores everything `source` yields under `key`; returns the stored object's info.
  virtual boost::asio::awaitable<Result<BlobInfo>> put(std::string key, BlobSource& source) = 0;

  // Up to min(length, kMaxBlobReadBytes) bytes from `offset`: fewer only at the end of the
  // object, none when `offset` is at or past the end. A caller wanting more asks again from
  // where the answer ended.
  virtual boost::asio::awaitable<Result<std::string>> read(std::string key, std::uint64_t offset,
                                                           std::uint64_t length) = 0;

  virtual boost::asio::awaitable<Result<BlobInfo>> stat(std::string key) = 0;

  virtual boost::asio::awaitable<Status> remove(std::string key) = 0;

  // Up to `limit` objects whose key starts with `prefix`, sorts after `start_after` (empty:
  // from the first) and whose modified_ms is before `before_ms`, in key order (for cleaning
  // up uploads that were never attached). A caller that keeps some of what it got pages on
  // by passing the last key it saw as `start_after`.
  virtual boost::asio::awaitable<Result<std::vector<BlobInfo>>> listOlderThan(
      std::string prefix, std::int64_t before_ms, std::size_t limit, std::string start_after) = 0;
};

using BlobStorePtr = std::unique_ptr<BlobStore>;

// The most one read() returns, so an answer is always bounded.
inline constexpr std::uint64_t kMaxBlobReadBytes = 64ull * 1024 * 1024;

// Short enough to be one file name on every local file system (255 bytes).
inline constexpr std::size_t kMaxBlobKeyBytes = 200;

// A character of a key segment: [A-Za-z0-9._-].
inline bool isBlobKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The key grammar above.
inline bool isValidBlobKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxBlobKeyBytes) return false;
  std::size_t seg_start = 0;
  for (std::size_t i = 0; i <= key.size(); ++i) {
    if (i == key.size() || key[i] == '/') {
      const std::string_view seg = key.substr(seg_start, i - seg_start);
      if (seg.empty() || seg == "." || seg == "..") return false;
      seg_start = i + 1;
    } else if (!isBlobKeyChar(key[i])) {
      return false;
    }
  }
  return true;
}

// A prefix is a key's start: empty, or the grammar's characters and '/' without "..".
inline bool isValidBlobPrefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  if (prefix.find("..") != std::string_view::npos || prefix.front() == '/') return false;
  std::string probe(prefix);
  if (probe.back() == '/') probe += 'x';
  // Every complete segment must be valid; the last may be partial.
  return isValidBlobKey(probe);
}

}  // namespace parley
