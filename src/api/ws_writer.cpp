#include "api/ws_writer.h"

#include <algorithm>

#include "core/metrics.h"

namespace parley::api {

namespace asio = boost::asio;

std::size_t WsWriter::wireSize(std::size_t payload) {
  std::uint8_t header[ws::kMaxHeader];
  return ws::encodeHeader(ws::Opcode::text, payload, header) + payload;
}

std::size_t WsWriter::wireSize(const LiveItem& item) {
  return item.payload ? wireSize(item.payload->size() - item.offset) : 0;
}

bool WsWriter::queue(const LiveItem& item) {
  if (closing()) return true;
  std::size_t more = wireSize(item);
  if (!fits(more)) return false;
  bytes_ += more;
  queued_bytes_ += more;
  queue_.push_back(item);
  return true;
}

bool WsWriter::add(LiveItem frame, ws::Opcode op) {
  if (closing()) return true;
  std::size_t more = wireSize(frame);
  if (!fits(more)) return false;
  bytes_ += more;
  out_.push_back({std::move(frame), op});
  return true;
}

bool WsWriter::add(Frames&& frames) {
  if (closing()) return true;
  std::size_t more = 0;
  for (auto& f : frames) more += wireSize(f);
  if (!fits(more)) return false;
  bytes_ += more;
  for (auto& f : frames) out_.push_back({std::move(f), ws::Opcode::text});
  return true;
}

void WsWriter::pong(std::string_view payload) {
  if (closing()) return;
  if (pong_due_) bytes_ -= std::min(wireSize(pong_.size()), bytes_);
  pong_.assign(payload);
  pong_due_ = true;
  bytes_ += wireSize(pong_.size());  // at most 127 bytes, and only one: never refused
}

bool WsWriter::close(std::uint16_t code, bool keep_output) {
  if (closing()) return false;
  close_code_ = code;
  queue_.clear();
  queue_head_ = 0;
  queued_bytes_ = 0;
  if (!keep_output) {
    out_.clear();
    out_head_ = 0;
  }
  pong_due_ = false;
  recount();
  return true;
}

void WsWriter::clear() {
  queue_.clear();
  queue_head_ = 0;
  queued_bytes_ = 0;
  out_.clear();
  out_head_ = 0;
  partial_.clear();
  pong_due_ = false;
  close_queued_ = close_code_ != 0;  // nothing more is written
  bytes_ = 0;
}

// From what is held: the rest of a cut frame, the frames, and a close frame not yet begun.
void WsWriter::recount() {
  queued_bytes_ = 0;
  for (std::size_t i = queue_head_; i < queue_.size(); ++i) queued_bytes_ += wireSize(queue_[i]);
  bytes_ = partial_.size() + queued_bytes_;
  for (std::size_t i = out_head_; i < out_.size(); ++i) bytes_ += wireSize(out_[i].item);
  if (pong_due_) bytes_ += wireSize(pong_.size());
  if (close_code_ != 0 && !close_queued_) bytes_ += ws::closeFrame(close_code_).size();
}

LiveItem WsWriter::takeQueued() {
  LiveItem item = std::move(queue_[queue_head_++]);
  const std::size_t size = wireSize(item);
  bytes_ -= std::min(size, bytes_);
  queued_bytes_ -= std::min(size, queued_bytes_);
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    queue_head_ = 0;
  }
  return item;
}

void WsWriter::shrinkIfIdle() {
  if (hasQueued() || framesWaiting() != 0) return;
  if (queue_.capacity() > 16) queue_ = {};
  if (out_.capacity() > 16) out_ = {};
  queue_.clear();
  queue_head_ = 0;
  out_.clear();
  out_head_ = 0;
}

bool WsWriter::prepare(Batch& b) {
  std::size_t nb = 0, nh = 0;
  if (!partial_.empty()) b.bufs[nb++] = asio::buffer(partial_);
  b.pong_from = nb;
  if (pong_due_ && !close_queued_) {
    std::size_t h = ws::encodeHeader(ws::Opcode::pong, pong_.size(), b.headers[nh].data());
    b.bufs[nb++] = asio::buffer(b.headers[nh++].data(), h);
    b.bufs[nb++] = asio::buffer(pong_);
  }
  b.frames_from = nb;
  b.frames = 0;
  if (!close_queued_) {
    while (out_head_ + b.frames < out_.size() && b.frames < kBatch) {
      const OutFrame& f = out_[out_head_ + b.frames];
      std::string_view text = f.item.frame();
      std::size_t h = ws::encodeHeader(f.op, text.size(), b.headers[nh].data());
      b.bufs[nb++] = asio::buffer(b.headers[nh++].data(), h);
      b.bufs[nb++] = asio::buffer(text.data(), text.size());
      ++b.frames;
    }
  }
  b.close_at = nb;
  b.close.clear();
  if (close_code_ != 0 && !close_queued_ && out_head_ + b.frames == out_.size()) {
    b.close = ws::closeFrame(close_code_);
    b.bufs[nb++] = asio::buffer(b.close);
  }
  b.count = nb;
  return nb > 0;
}

namespace {

std::size_t sizeOf(const WsWriter::Batch& b, std::size_t from, std::size_t to) {
  std::size_t sz = 0;
  for (std::size_t i = from; i < to; ++i) sz += b.bufs[i].size();
  return sz;
}

// The unwritten rest of bufs [from, to), the first `left` bytes of which were written.
std::string restOf(const WsWriter::Batch& b, std::size_t from, std::size_t to, std::size_t left) {
  std::string rest;
  for (std::size_t i = from; i < to; ++i) {
    auto* p = static_cast<const char*>(b.bufs[i].data());
    std::size_t sz = b.bufs[i].size();
    std::size_t skip = std::min(left, sz);
    left -= skip;
    rest.append(p + skip, sz - skip);
  }
  return rest;
}

}  // namespace

// Walks the frames of `b` over the `left` bytes written; returns how many of them are done
// (written, or begun with their rest in partial_). Stops at the first one cut.
std::size_t WsWriter::walkFrames(Batch& b, std::size_t& left) {
  for (std::size_t f = 0; f < b.frames; ++f) {
    if (left == 0) return f;
    std::size_t at = b.frames_from + 2 * f;
    std::size_t sz = sizeOf(b, at, at + 2);
    if (out_[out_head_].item.env.kind == FrameKind::event) metrics().events_delivered.inc();
    ++out_head_;
    if (left < sz) {
      partial_ = restOf(b, at, at + 2, left);
      left = 0;
      return f + 1;
    }
    left -= sz;
  }
  return b.frames;
}

bool WsWriter::commit(Batch& b, std::size_t written) {
  // Everything in a batch is counted, so the count falls by exactly what was written.
  bytes_ -= std::min(written, bytes_);
  std::size_t left = written;
  if (b.pong_from > 0) {  // the rest of a frame cut short
    std::size_t done = std::min(left, partial_.size());
    left -= done;
    partial_.erase(0, done);
    if (!partial_.empty()) return false;
  }
  if (b.frames_from > b.pong_from) {  // the pong
    if (left == 0) return false;
    pong_due_ = false;
    std::size_t sz = sizeOf(b, b.pong_from, b.frames_from);
    if (left < sz) {
      partial_ = restOf(b, b.pong_from, b.frames_from, left);
      return false;
    }
    left -= sz;
  }
  std::size_t done = walkFrames(b, left);
  if (out_head_ == out_.size()) {
    out_.clear();
    out_head_ = 0;
  }
  if (done < b.frames || !partial_.empty()) return false;
  if (b.close_at < b.count) {  // the close frame
    if (left == 0) return false;
    close_queued_ = true;
    if (left < b.close.size()) {
      partial_ = restOf(b, b.close_at, b.count, left);
      return false;
    }
  }
  return true;
}

}  // namespace parley::api
