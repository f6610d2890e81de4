#include "service/sealing_source.h"

#include <algorithm>

#include "crypto/secret_bytes.h"

namespace parley {

Task<Result<std::string>> SealingSource::next() {
  if (done_) co_return std::string();
  for (;;) {
    auto piece = co_await body_.next();
    if (!piece) {
      failure_ = piece.error();
      co_return piece.error();
    }
    if (piece->empty()) {
      done_ = true;
      co_return sealer_.finish();
    }
    total_ += piece->size();
    if (total_ > limits_.max_upload) {
      crypto::wipe(*piece);
      failure_ = makeError(Code::payload_too_large, "the file is larger than the upload limit");
      co_return *failure_;
    }
    // A body of unknown length is counted against the quotas as it arrives.
    if (auto within = co_await ticket_.received(total_); !within) {
      crypto::wipe(*piece);
      failure_ = within.error();
      co_return *failure_;
    }
    keep(*piece);
    std::string sealed = sealer_.update(*piece);
    crypto::wipe(*piece);
    if (!sealed.empty()) co_return sealed;
  }
}

SealingSource::~SealingSource() {
  crypto::wipe(kept_);
  image_budget_.fetch_sub(reserved_);
}

void SealingSource::keep(std::string_view piece) {
  if (dropped_) return;
  if (decided_ && !keep_all_) return;
  if (kept_.size() + piece.size() > limits_.max_thumbnail_input || !reserve(piece.size())) {
    // Too large to thumbnail, or no room in the shared budget: keep only what sniffing
    // needs.
    if (!decided_)
      kept_.append(
          piece.substr(0, inspector_.sniff_bytes - std::min(inspector_.sniff_bytes, kept_.size())));
    decide();
    if (keep_all_) {
      dropped_ = true;
      crypto::wipe(kept_);
      image_budget_.fetch_sub(reserved_);
      reserved_ = 0;
    }
    return;
  }
  kept_.append(piece);
  if (!decided_ && kept_.size() >= inspector_.sniff_bytes) decide();
}

bool SealingSource::reserve(std::size_t n) {
  std::uint64_t used = image_budget_.load();
  do {
    if (used + n > limits_.thumbnail_memory) return false;
  } while (!image_budget_.compare_exchange_weak(used, used + n));
  reserved_ += n;
  return true;
}

void SealingSource::decide() {
  if (decided_) return;
  decided_ = true;
  std::string_view head(kept_);
  head = head.substr(0, inspector_.sniff_bytes);
  mime_ = inspector_.detect_mime ? inspector_.detect_mime(head) : "application/octet-stream";
  keep_all_ = inspector_.thumbnailable && inspector_.thumbnail && inspector_.thumbnailable(mime_);
  if (!keep_all_) kept_.resize(std::min(kept_.size(), inspector_.sniff_bytes));
}

}  // namespace parley
