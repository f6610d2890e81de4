#include "crypto/chunked.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/random.h"

namespace parley::crypto {
namespace {

constexpr std::uint64_t K = kFileChunkBytes;
constexpr std::uint64_t S = kSealedChunkBytes;

// Distinct bytes at every position, so a wrong offset cannot pass unnoticed.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return s;
}

class ChunkedTest : public ::testing::Test {
 protected:
  const std::string key_ = newDataKey();
  const FileSealContext ctx_{"f-0123456789abcdef", 3};

  // Seals `plain`, fed in pieces of `piece` bytes.
  std::string sealAll(const std::string& plain, std::size_t piece = 10000,
                      const FileSealContext* ctx = nullptr) {
    ChunkSealer sealer(key_, ctx ? *ctx : ctx_);
    std::string out;
    for (std::size_t pos = 0; pos < plain.size(); pos += piece) {
      out += sealer.update(std::string_view(plain).substr(pos, piece));
    }
    out += sealer.finish();
    EXPECT_EQ(sealer.plaintextSize(), plain.size());
    EXPECT_EQ(sealer.sealedSize(), out.size());
    return out;
  }

  Result<std::string> readRange(const std::string& stored, std::uint64_t size, std::uint64_t offset,
                                std::uint64_t length) {
    auto span = chunkSpanFor(size, offset, length);
    if (!span) return span.error();
    if (span->stored_offset > stored.size()) return makeError(Code::internal, "short");
    const std::string bytes = stored.substr(span->stored_offset, span->stored_length);
    return openSpan(key_, ctx_, size, *span, bytes);
  }

  void expectSealCheckFailed(const Result<std::string>& r) {
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, Code::internal);
    EXPECT_EQ(r.error().message, "seal check failed");
  }
};

TEST_F(ChunkedTest, SizesFollowTheFormat) {
  EXPECT_EQ(chunkCount(0), 1u);
  EXPECT_EQ(chunkCount(1), 1u);
  EXPECT_EQ(chunkCount(K), 1u);
  EXPECT_EQ(chunkCount(K + 1), 2u);
  EXPECT_EQ(sealedSize(0), kSealOverhead);
  EXPECT_EQ(sealedSize(2 * K + 5), 2 * K + 5 + 3 * kSealOverhead);
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, K - 1, K, K + 1, 3 * K}) {
    EXPECT_EQ(sealAll(pattern(n)).size(), sealedSize(n)) << n;
  }
}

TEST_F(ChunkedTest, WholeFileRoundTripsWhateverThePieceSize) {
  const std::string plain = pattern(3 * K + 17);
  for (std::size_t piece : {std::size_t{1000}, std::size_t{K}, std::size_t{K + 1}, plain.size()}) {
    const std::string stored = sealAll(plain, piece);
    auto got = readRange(stored, plain.size(), 0, plain.size());
    ASSERT_TRUE(got) << piece;
    EXPECT_EQ(*got, plain);
  }
}

TEST_F(ChunkedTest, EmptyFileIsOneEmptyFinalChunk) {
  const std::string stored = sealAll("");
  EXPECT_EQ(stored.size(), kSealOverhead);
  auto got = readRange(stored, 0, 0, 0);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "");
}

TEST_F(ChunkedTest, StoredBytesHoldNoPlaintext) {
  const std::string plain(3 * K, 'A');
  const std::string stored = sealAll(plain);
  EXPECT_EQ(stored.find(std::string(64, 'A')), std::string::npos);
}

TEST_F(ChunkedTest, SpanReadsOnlyTheChunksHoldingTheRange) {
  const std::uint64_t size = 3 * K + 100;
  auto s = chunkSpanFor(size, K - 1, 2);  // straddles chunks 0 and 1
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first_chunk, 0u);
  EXPECT_EQ(s->chunk_count, 2u);
  EXPECT_EQ(s->stored_offset, 0u);
  EXPECT_EQ(s->stored_length, 2 * S);
  EXPECT_EQ(s->skip, K - 1);

  s = chunkSpanFor(size, 2 * K, K);  // exactly chunk 2
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first_chunk, 2u);
  EXPECT_EQ(s->chunk_count, 1u);
  EXPECT_EQ(s->stored_offset, 2 * S);
  EXPECT_EQ(s->stored_length, S);
  EXPECT_EQ(s->skip, 0u);

  s = chunkSpanFor(size, size - 1, 1);  // last byte, in the short final chunk
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first_chunk, 3u);
  EXPECT_EQ(s->stored_offset, 3 * S);
  EXPECT_EQ(s->stored_length, 100 + kSealOverhead);

  s = chunkSpanFor(size, 5, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->chunk_count, 0u);
  EXPECT_EQ(s->stored_length, 0u);
}

TEST_F(ChunkedTest, SpanOutsideTheFileIsBadRequest) {
  EXPECT_EQ(chunkSpanFor(10, 11, 0).error().code, Code::bad_request);
  EXPECT_EQ(chunkSpanFor(10, 5, 6).error().code, Code::bad_request);
  EXPECT_EQ(chunkSpanFor(10, 1, ~0ull).error().code, Code::bad_request);
  EXPECT_TRUE(chunkSpanFor(10, 10, 0));
}

TEST_F(ChunkedTest, RangesAtChunkEdgesMatchThePlaintext) {
  const std::string plain = pattern(3 * K + 100);
  const std::string stored = sealAll(plain);
  const std::uint64_t n = plain.size();
  const std::pair<std::uint64_t, std::uint64_t> ranges[] = {
      {0, 1},         {K - 1, 1},     {K - 1, 2}, {K, 1},          {K, K},
      {K - 1, K + 2}, {2 * K - 1, 2}, {0, 3 * K}, {3 * K, 100},    {n - 1, 1},
      {1, n - 1},     {K + 7, 2 * K}, {n, 0},     {3 * K - 1, 101}};
  for (auto [off, len] : ranges) {
    auto got = readRange(stored, n, off, len);
    ASSERT_TRUE(got) << off << "+" << len;
    EXPECT_EQ(*got, plain.substr(off, len)) << off << "+" << len;
  }
}

TEST_F(ChunkedTest, AFlippedByteIsDetected) {
  const std::string plain = pattern(2 * K + 10);
  std::string stored = sealAll(plain);
  stored[S + 100] ^= 0x01;  // inside chunk 1
  expectSealCheckFailed(readRange(stored, plain.size(), K, 10));
  expectSealCheckFailed(readRange(stored, plain.size(), 0, plain.size()));
  // Chunk 0 alone is intact and still opens: damage is contained to its chunk.
  EXPECT_TRUE(readRange(stored, plain.size(), 0, K));
}

TEST_F(ChunkedTest, TruncationAtAChunkBoundaryIsDetected) {
  const std::string plain = pattern(3 * K);
  const std::string stored = sealAll(plain);
  // Drop the final chunk: the object now ends with a full chunk that is not marked final.
  const std::string truncated = stored.substr(0, 2 * S);
  // A reader that trusts the stored length (2 chunks => 2K bytes) still fails, because
  // chunk 1 was sealed as not final.
  auto span = chunkSpanFor(2 * K, K, K);
  ASSERT_TRUE(span);
  expectSealCheckFailed(openSpan(key_, ctx_, 2 * K, *span, truncated.substr(S)));
  // A reader that knows the real size gets too few bytes for the last chunk.
  span = chunkSpanFor(3 * K, 2 * K, K);
  ASSERT_TRUE(span);
  expectSealCheckFailed(openSpan(key_, ctx_, 3 * K, *span, truncated.substr(2 * S)));
}

TEST_F(ChunkedTest, TruncationInsideAChunkIsDetected) {
  const std::string plain = pattern(K + 10);
  const std::string stored = sealAll(plain);
  expectSealCheckFailed(readRange(stored.substr(0, stored.size() - 1), plain.size(), K, 5));
  auto span = chunkSpanFor(plain.size(), K, 10);
  ASSERT_TRUE(span);
  expectSealCheckFailed(
      openSpan(key_, ctx_, plain.size(), *span, stored.substr(S, span->stored_length - 1)));
}

TEST_F(ChunkedTest, ReorderedChunksAreDetected) {
  const std::string plain = pattern(3 * K);
  const std::string stored = sealAll(plain);
  const std::string swapped = stored.substr(S, S) + stored.substr(0, S) + stored.substr(2 * S);
  expectSealCheckFailed(readRange(swapped, plain.size(), 0, 1));
  expectSealCheckFailed(readRange(swapped, plain.size(), K, 1));
}

TEST_F(ChunkedTest, AChunkFromAnotherFileOrKeyVersionIsDetected) {
  const std::string plain = pattern(2 * K);
  const std::string stored = sealAll(plain);
  for (const FileSealContext& other :
       {FileSealContext{"f-other", ctx_.key_version}, FileSealContext{ctx_.file_id, 4}}) {
    const std::string foreign = sealAll(plain, K, &other);
    const std::string spliced = foreign.substr(0, S) + stored.substr(S);
    expectSealCheckFailed(readRange(spliced, plain.size(), 0, 10));
    EXPECT_TRUE(readRange(spliced, plain.size(), K, 10));
  }
}

TEST_F(ChunkedTest, WrongKeyFails) {
  const std::string plain = pattern(100);
  const std::string stored = sealAll(plain);
  auto span = chunkSpanFor(plain.size(), 0, plain.size());
  ASSERT_TRUE(span);
  expectSealCheckFailed(openSpan(newDataKey(), ctx_, plain.size(), *span, stored));
}

TEST_F(ChunkedTest, ExtendedObjectIsDetected) {
  // A final chunk appended after a file whose size says it has one chunk.
  const std::string plain = pattern(K);
  const std::string stored = sealAll(plain);
  auto span = chunkSpanFor(plain.size(), 0, plain.size());
  ASSERT_TRUE(span);
  expectSealCheckFailed(openSpan(key_, ctx_, plain.size(), *span, stored + stored));
}

TEST_F(ChunkedTest, AdIsUnambiguous) {
  EXPECT_EQ(fileChunkAd("a|b", 1, 2, true), "parley/file/v1|1|2|1|a|b");
  EXPECT_NE(fileChunkAd("x", 1, 2, true), fileChunkAd("x", 1, 2, false));
  EXPECT_THROW(ChunkSealer("short", ctx_), std::invalid_argument);
}

}  // namespace
}  // namespace parley::crypto
