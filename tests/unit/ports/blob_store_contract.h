// The behaviour every BlobStore adapter must show (src/ports/blob_store.h), as one
// value-parameterised suite. An adapter's test instantiates it with a factory that opens
// the store under test (a fresh or shared one: every test works under its own key prefix):
//
//   INSTANTIATE_TEST_SUITE_P(Local, BlobStoreContract, ::testing::Values(localFactory()));
//
// Each call is awaited on a private io_context, as a caller on another executor would.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "crypto/chunked.h"
#include "crypto/random.h"
#include "ports/blob_store.h"
#include "support/await.h"

namespace parley::blob_contract {

struct BlobStoreFactory {
  std::string name;
  // Null (after failing the test) when the store cannot be opened.
  std::function<BlobStorePtr()> open;
  // Size of the "large" object: big enough to need several multipart parts on S3.
  std::size_t large_bytes = 11 * 1024 * 1024 + 123;
};

inline std::ostream& operator<<(std::ostream& os, const BlobStoreFactory& f) {
  return os << f.name;
}

using ::parley::testing::await;

// Distinct bytes at each position, so an offset error cannot go unnoticed.
inline std::string pattern(std::size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251 + seed) & 0xff);
  return s;
}

inline std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Yields `good` bytes, then fails.
class FailingSource final : public BlobSource {
 public:
  explicit FailingSource(std::string good) : good_(std::move(good)) {}
  boost::asio::awaitable<Result<std::string>> next() override {
    if (!sent_) {
      sent_ = true;
      co_return good_;
    }
    co_return makeError(Code::bad_request, "client went away");
  }

 private:
  std::string good_;
  bool sent_ = false;
};

class BlobStoreContract : public ::testing::TestWithParam<BlobStoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open();
    ASSERT_NE(store_, nullptr) << "could not open the " << GetParam().name << " blob store";
    static std::atomic<int> counter{0};
    prefix_ = "contract-" + std::to_string(::getpid()) + "-" +
              crypto::toHex(crypto::randomBytes(4)) + "-" + std::to_string(counter++) + "/";
  }

  std::string key(const std::string& name) const { return prefix_ + name; }

  Result<BlobInfo> put(const std::string& k, const std::string& bytes,
                       std::size_t piece = 1 << 20) {
    StringBlobSource src(bytes, piece);
    return await(store_->put(k, src));
  }
  Result<std::string> read(const std::string& k, std::uint64_t off, std::uint64_t len) {
    return await(store_->read(k, off, len));
  }
  Result<std::string> readAll(const std::string& k) { return read(k, 0, 1ull << 40); }

  std::vector<std::string> keysOlderThan(const std::string& prefix, std::int64_t before,
                                         std::size_t limit = 1000,
                                         const std::string& start_after = "") {
    auto got = await(store_->listOlderThan(prefix, before, limit, start_after));
    EXPECT_TRUE(got) << (got ? "" : got.error().message);
    std::vector<std::string> keys;
    if (got) {
      for (const auto& b : *got) keys.push_back(b.key);
    }
    return keys;
  }

  BlobStorePtr store_;
  std::string prefix_;
};

TEST_P(BlobStoreContract, PutThenReadWhole) {
  const std::string bytes = pattern(300000);
  auto info = put(key("whole"), bytes, 7000);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->key, key("whole"));
  EXPECT_EQ(info->size, bytes.size());
  auto got = readAll(key("whole"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(*got == bytes);
  auto st = await(store_->stat(key("whole")));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, bytes.size());
  EXPECT_GT(st->modified_ms, nowMs() - 3600 * 1000);
}

TEST_P(BlobStoreContract, ReadByRange) {
  const std::string bytes = pattern(100000);
  ASSERT_TRUE(put(key("r"), bytes));
  for (auto [off, len] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, 1}, {1, 10}, {65535, 2}, {99999, 1}, {50000, 50000}, {0, 100000}}) {
    auto got = read(key("r"), off, len);
    ASSERT_TRUE(got) << off << "+" << len << ": " << got.error().message;
    EXPECT_TRUE(*got == bytes.substr(off, len)) << off << "+" << len;
  }
  // Past the end: shortened, or empty.
  auto tail = read(key("r"), 99990, 100);
  ASSERT_TRUE(tail);
  EXPECT_TRUE(*tail == bytes.substr(99990));
  auto past = read(key("r"), 100000, 10);
  ASSERT_TRUE(past) << past.error().message;
  EXPECT_EQ(*past, "");
  auto zero = read(key("r"), 5, 0);
  ASSERT_TRUE(zero) << zero.error().message;
  EXPECT_EQ(*zero, "");
}

TEST_P(BlobStoreContract, EmptyObject) {
  auto info = put(key("empty"), "");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->size, 0u);
  auto got = readAll(key("empty"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "");
}

TEST_P(BlobStoreContract, LargeObjectInManyPieces) {
  const std::string bytes = pattern(GetParam().large_bytes, 7);
  auto info = put(key("large"), bytes, 1 << 20);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->size, bytes.size());
  auto got = readAll(key("large"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(*got == bytes);
  // A range across the boundary between the first two 5 MiB parts.
  const std::uint64_t edge = 5 * 1024 * 1024;
  auto mid = read(key("large"), edge - 3, 6);
  ASSERT_TRUE(mid);
  EXPECT_TRUE(*mid == bytes.substr(edge - 3, 6));
}

TEST_P(BlobStoreContract, MissingKeyIsNotFound) {
  auto r = read(key("nothing"), 0, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::not_found);
  auto s = await(store_->stat(key("nothing")));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::not_found);
  EXPECT_TRUE(await(store_->remove(key("nothing"))));  // idempotent
}

TEST_P(BlobStoreContract, RemoveDeletes) {
  ASSERT_TRUE(put(key("gone"), "bytes"));
  auto removed = await(store_->remove(key("gone")));
  ASSERT_TRUE(removed) << removed.error().message;
  auto r = readAll(key("gone"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::not_found);
  EXPECT_TRUE(await(store_->remove(key("gone"))));
}

TEST_P(BlobStoreContract, PutReplaces) {
  ASSERT_TRUE(put(key("x"), "first version"));
  ASSERT_TRUE(put(key("x"), "second"));
  auto got = readAll(key("x"));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "second");
}

TEST_P(BlobStoreContract, FailedSourceStoresNothing) {
  FailingSource src(pattern(1000));
  auto info = await(store_->put(key("half"), src));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Code::bad_request);  // the source's error, passed through
  auto s = await(store_->stat(key("half")));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::not_found);
  EXPECT_TRUE(keysOlderThan(prefix_, nowMs() + 3600 * 1000).empty());
}

TEST_P(BlobStoreContract, ListOlderThanFiltersByPrefixAndAge) {
  ASSERT_TRUE(put(key("up/1"), "a"));
  ASSERT_TRUE(put(key("up/2"), "b"));
  ASSERT_TRUE(put(key("up/3"), "c"));
  ASSERT_TRUE(put(key("kept/1"), "d"));
  const std::int64_t future = nowMs() + 3600 * 1000;
  EXPECT_EQ(keysOlderThan(key("up/"), future),
            (std::vector<std::string>{key("up/1"), key("up/2"), key("up/3")}));
  EXPECT_TRUE(keysOlderThan(key("up/"), nowMs() - 3600 * 1000).empty());
  EXPECT_EQ(keysOlderThan(key("up/"), future, 2).size(), 2u);
  EXPECT_EQ(keysOlderThan(prefix_, future).size(), 4u);
  // Paging past kept objects: start after the last key seen.
  EXPECT_EQ(keysOlderThan(key("up/"), future, 2, key("up/1")),
            (std::vector<std::string>{key("up/2"), key("up/3")}));
  EXPECT_TRUE(keysOlderThan(key("up/"), future, 2, key("up/3")).empty());
  // Cleanup loop: remove what was listed, list again.
  for (const auto& k : keysOlderThan(key("up/"), future)) {
    EXPECT_TRUE(await(store_->remove(k)));
  }
  EXPECT_TRUE(keysOlderThan(key("up/"), future).empty());
  EXPECT_EQ(keysOlderThan(prefix_, future), (std::vector<std::string>{key("kept/1")}));
}

TEST_P(BlobStoreContract, KeysOutsideTheGrammarAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "../x", "/abs", "a//b", "a/./b", "a/", "a b", "a\\b",
                                "%2e%2e/x", "a/../../etc/passwd", std::string(201, 'k')}) {
    StringBlobSource src("x");
    auto p = await(store_->put(bad, src));
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Code::bad_request) << bad;
    auto r = read(bad, 0, 1);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::bad_request) << bad;
    auto d = await(store_->remove(bad));
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code, Code::bad_request);
  }
  auto l = await(store_->listOlderThan("../", nowMs(), 10, ""));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, Code::bad_request);
}

// Through the chunked sealer: the stored object holds no plaintext, and ranges read back
// from the store open to exactly the original bytes.
TEST_P(BlobStoreContract, SealedFileHoldsNoPlaintextAndOpensByRange) {
  const std::string marker = "PLAINTEXT-MARKER-that-must-never-reach-storage";
  std::string plain;
  while (plain.size() < 3 * crypto::kFileChunkBytes + 1000) plain += marker;
  const std::string data_key = crypto::newDataKey();
  const crypto::FileSealContext ctx{"file-" + crypto::toHex(crypto::randomBytes(8)), 1};
  crypto::ChunkSealer sealer(data_key, ctx);
  std::string stored;
  for (std::size_t pos = 0; pos < plain.size(); pos += 50000) {
    stored += sealer.update(std::string_view(plain).substr(pos, 50000));
  }
  stored += sealer.finish();
  ASSERT_TRUE(put(key("sealed"), stored, 40000));

  auto raw = readAll(key("sealed"));
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), crypto::sealedSize(plain.size()));
  EXPECT_EQ(raw->find("PLAINTEXT-MARKER"), std::string::npos);

  for (auto [off, len] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, plain.size()}, {crypto::kFileChunkBytes - 5, 10}, {plain.size() - 7, 7}}) {
    auto span = crypto::chunkSpanFor(plain.size(), off, len);
    ASSERT_TRUE(span);
    auto bytes = read(key("sealed"), span->stored_offset, span->stored_length);
    ASSERT_TRUE(bytes);
    auto opened = crypto::openSpan(data_key, ctx, plain.size(), *span, *bytes);
    ASSERT_TRUE(opened) << off;
    EXPECT_TRUE(*opened == plain.substr(off, len)) << off;
  }
}

}  // namespace parley::blob_contract
