// Files sealed in fixed-size chunks (DESIGN.md invariant 5), so a byte range can be opened by
// reading only the chunks that hold it, and a stored object that was truncated, extended,
// reordered or spliced with chunks of another file fails to open.
//
// Stored format: the concatenation of sealed chunks, chunk i holding plaintext bytes
// [i*kFileChunkBytes, (i+1)*kFileChunkBytes). Each chunk is sealer.h's format (random
// 24-byte nonce || ciphertext || 16-byte tag) under the room's data key, with associated
// data fileChunkAd(file_id, key_version, i, final) where `final` is true for the last chunk
// only. Every chunk but the last holds exactly kFileChunkBytes; the last holds 1..kFileChunkBytes,
// or 0 when the file is empty (an empty file is one empty final chunk).
//
// The plaintext size is metadata the caller keeps beside the object (the attachments row):
// from it the reader knows the chunk count, which chunk must be final and every chunk's
// length, so dropping trailing chunks (no final flag where one is required), moving a chunk
// (index mismatch), or taking one from another file or key version (file id / version
// mismatch) all fail the tag check.
//
// Thread-safe: pure functions; a ChunkSealer is used by one caller at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/sealer.h"
#include "crypto/secret_bytes.h"

namespace parley::crypto {

inline constexpr std::size_t kFileChunkBytes = 64 * 1024;
inline constexpr std::size_t kSealedChunkBytes = kFileChunkBytes + kSealOverhead;

// "parley/file/v1|<key_version>|<chunk_index>|<0|1>|<file_id>": the numeric fields are
// decimal and fixed in count, so file_id is everything after the fourth '|'.
std::string fileChunkAd(std::string_view file_id, std::uint32_t key_version, std::uint64_t index,
                        bool final);

// Chunks in a file of `plaintext_size` bytes (at least 1).
std::uint64_t chunkCount(std::uint64_t plaintext_size);
// Bytes of the stored object for a file of `plaintext_size` bytes.
std::uint64_t sealedSize(std::uint64_t plaintext_size);

// Which stored bytes hold plaintext [offset, offset+length), and how to cut the answer out
// of the opened chunks.
struct ChunkSpan {
  std::uint64_t first_chunk = 0;
  std::uint64_t chunk_count = 0;    // 0 only when length == 0
  std::uint64_t stored_offset = 0;  // where first_chunk starts in the stored object
  std::uint64_t stored_length = 0;  // bytes to read from there
  std::uint64_t skip = 0;           // plaintext bytes to drop from the first opened chunk
  std::uint64_t length = 0;         // plaintext bytes to return
};

// Code::bad_request when the range does not lie within the file (or overflows).
Result<ChunkSpan> chunkSpanFor(std::uint64_t plaintext_size, std::uint64_t offset,
                               std::uint64_t length);

// Identifies the file a chunk belongs to; bound into every chunk's associated data.
struct FileSealContext {
  std::string file_id;
  std::uint32_t key_version = 0;
};

// Streaming encryption: feed plaintext in any pieces, collect sealed bytes as they are
// produced. Holds at most one chunk of plaintext (it must know whether more follows before
// it can seal a chunk as final).
class ChunkSealer {
 public:
  // `key` must be 32 bytes (std::invalid_argument otherwise, as seal()).
  ChunkSealer(std::string_view key, FileSealContext ctx);

  // Sealed bytes for every chunk now known not to be the last (possibly none).
  std::string update(std::string_view plaintext);
  // Seals what is left as the final chunk; the sealer is finished afterwards.
  std::string finish();

  std::uint64_t plaintextSize() const noexcept { return total_; }
  std::uint64_t sealedSize() const noexcept { return sealed_; }

 private:
  std::string sealChunk(bool final);

  SecretBytes key_;
  FileSealContext ctx_;
  std::string pending_;  // plaintext of the chunk being filled (< or == kFileChunkBytes)
  std::uint64_t next_index_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t sealed_ = 0;
  bool finished_ = false;
};

// Opens the stored bytes `stored` read at span.stored_offset (span.stored_length of them)
// and returns exactly the plaintext range the span was made for. Code::internal
// "seal check failed" when any chunk fails to open or has the wrong length; never returns
// partial plaintext.
Result<std::string> openSpan(std::string_view key, const FileSealContext& ctx,
                             std::uint64_t plaintext_size, const ChunkSpan& span,
                             std::string_view stored);

}  // namespace parley::crypto
