// An upload's body on its way to the BlobStore: pulls the request body, counts it against
// the upload limit and the ticket's quotas, keeps what inspection needs (the sniffed head,
// and a whole image worth a thumbnail within a memory budget all uploads share), and hands
// the BlobStore sealed chunks. Never returns an empty piece before the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/sealer.h"
#include "ports/blob_store.h"
#include "service/files.h"
#include "service/upload_gate.h"

namespace parley {

class SealingSource final : public BlobSource {
 public:
  SealingSource(BlobSource& body, UploadTicket& ticket, crypto::ChunkSealer& sealer,
                const FileLimits& limits, const FileInspector& inspector,
                std::atomic<std::uint64_t>& image_budget)
      : body_(body),
        ticket_(ticket),
        sealer_(sealer),
        limits_(limits),
        inspector_(inspector),
        image_budget_(image_budget) {}

  Task<Result<std::string>> next() override;

  const std::optional<Error>& failure() const { return failure_; }
  std::uint64_t total() const { return total_; }

  // The detected type, once the whole body has been read.
  std::string mime() {
    decide();
    return mime_;
  }
  // The whole image, when it is one worth a thumbnail and not too large.
  std::optional<std::string> takeImage() {
    decide();
    if (!keep_all_ || dropped_) return std::nullopt;
    return std::move(kept_);
  }

  // The kept image (moved out by takeImage) stays counted until the upload is over.
  ~SealingSource() override;

 private:
  void keep(std::string_view piece);
  // Counts `n` more kept bytes against the budget all uploads share; false if they don't fit.
  bool reserve(std::size_t n);
  void decide();

  BlobSource& body_;
  UploadTicket& ticket_;
  crypto::ChunkSealer& sealer_;
  const FileLimits& limits_;
  const FileInspector& inspector_;
  std::atomic<std::uint64_t>& image_budget_;
  std::uint64_t reserved_ = 0;  // bytes of kept_ counted in image_budget_
  std::uint64_t total_ = 0;
  bool done_ = false;
  std::optional<Error> failure_;
  std::string kept_;
  bool decided_ = false;
  bool keep_all_ = false;
  bool dropped_ = false;
  std::string mime_ = "application/octet-stream";
};

}  // namespace parley
