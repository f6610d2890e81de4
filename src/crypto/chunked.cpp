#include "crypto/chunked.h"

#include <algorithm>
#include <stdexcept>

namespace parley::crypto {

namespace {

Error sealCheckFailed() { return makeError(Code::internal, "seal check failed"); }

// Plaintext bytes chunk `index` holds in a file of `size` bytes.
std::uint64_t chunkPlainLength(std::uint64_t size, std::uint64_t index) {
  const std::uint64_t last = chunkCount(size) - 1;
  if (index < last) return kFileChunkBytes;
  return size - last * kFileChunkBytes;
}

}  // namespace

std::string fileChunkAd(std::string_view file_id, std::uint32_t key_version, std::uint64_t index,
                        bool final) {
  std::string ad = "parley/file/v1|";
  ad += std::to_string(key_version);
  ad += '|';
  ad += std::to_string(index);
  ad += final ? "|1|" : "|0|";
  ad += file_id;
  return ad;
}

std::uint64_t chunkCount(std::uint64_t plaintext_size) {
  if (plaintext_size == 0) return 1;
  return (plaintext_size - 1) / kFileChunkBytes + 1;
}

std::uint64_t sealedSize(std::uint64_t plaintext_size) {
  return plaintext_size + chunkCount(plaintext_size) * kSealOverhead;
}

Result<ChunkSpan> chunkSpanFor(std::uint64_t plaintext_size, std::uint64_t offset,
                               std::uint64_t length) {
  if (offset > plaintext_size || length > plaintext_size - offset) {
    return makeError(Code::bad_request, "range outside the file");
  }
  ChunkSpan s;
  s.length = length;
  if (length == 0) return s;
  s.first_chunk = offset / kFileChunkBytes;
  const std::uint64_t last_chunk = (offset + length - 1) / kFileChunkBytes;
  s.chunk_count = last_chunk - s.first_chunk + 1;
  s.stored_offset = s.first_chunk * kSealedChunkBytes;
  // Every chunk before the file's last is full, so only the last can be shorter.
  const std::uint64_t last_stored_end =
      last_chunk * kSealedChunkBytes + chunkPlainLength(plaintext_size, last_chunk) + kSealOverhead;
  s.stored_length = last_stored_end - s.stored_offset;
  s.skip = offset - s.first_chunk * kFileChunkBytes;
  return s;
}

ChunkSealer::ChunkSealer(std::string_view key, FileSealContext ctx)
    : key_(std::string(key)), ctx_(std::move(ctx)) {
  // Same rule as seal(): refuse before any chunk is produced.
  if (key_.size() != kKeyBytes) throw std::invalid_argument("ChunkSealer: key must be 32 bytes");
  pending_.reserve(kFileChunkBytes);
}

std::string ChunkSealer::update(std::string_view plaintext) {
  std::string out;
  total_ += plaintext.size();
  while (!plaintext.empty()) {
    // A full pending chunk is sealed only once more bytes prove it is not the last.
    if (pending_.size() == kFileChunkBytes) out += sealChunk(false);
    const std::size_t take = std::min(plaintext.size(), kFileChunkBytes - pending_.size());
    pending_.append(plaintext.substr(0, take));
    plaintext.remove_prefix(take);
  }
  return out;
}

std::string ChunkSealer::finish() {
  if (finished_) return {};
  finished_ = true;
  return sealChunk(true);
}

std::string ChunkSealer::sealChunk(bool final) {
  std::string sealed =
      seal(key_.view(), fileChunkAd(ctx_.file_id, ctx_.key_version, next_index_, final), pending_);
  ++next_index_;
  wipe(pending_);
  pending_.reserve(kFileChunkBytes);
  sealed_ += sealed.size();
  return sealed;
}

Result<std::string> openSpan(std::string_view key, const FileSealContext& ctx,
                             std::uint64_t plaintext_size, const ChunkSpan& span,
                             std::string_view stored) {
  if (stored.size() != span.stored_length) return sealCheckFailed();
  const std::uint64_t last = chunkCount(plaintext_size) - 1;
  std::string out;
  out.reserve(span.length);
  std::size_t pos = 0;
  for (std::uint64_t i = span.first_chunk; i < span.first_chunk + span.chunk_count; ++i) {
    if (i > last) return sealCheckFailed();
    const std::size_t sealed_len = chunkPlainLength(plaintext_size, i) + kSealOverhead;
    if (stored.size() - pos < sealed_len) return sealCheckFailed();
    auto plain = open(key, fileChunkAd(ctx.file_id, ctx.key_version, i, i == last),
                      stored.substr(pos, sealed_len));
    if (!plain) {
      wipe(out);
      return plain.error();
    }
    pos += sealed_len;
    std::string_view piece = *plain;
    if (i == span.first_chunk)
      piece.remove_prefix(std::min<std::uint64_t>(span.skip, piece.size()));
    piece = piece.substr(0, span.length - out.size());
    out.append(piece);
    wipe(*plain);
  }
  if (out.size() != span.length) {
    wipe(out);
    return sealCheckFailed();
  }
  return out;
}

}  // namespace parley::crypto
