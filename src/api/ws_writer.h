// One WebSocket's outbound side, without the socket: the queue of items from the Hub (and
// replies), the frames ready to write (hello's replay, gap fills, ...), the rest of a frame a
// write cut short, the pong and the close frame, and ONE count of the bytes held for all of
// them, checked against --max-outbound (docs/protocol.md, "Limits").
//
// The session owns the socket: it asks for a batch (prepare), writes it with one gather write
// straight from the shared payloads, and reports how many bytes the socket took (commit).
// The count is of wire bytes (headers included), so it falls by exactly what is written.
//
// Policy when the cap is reached: queue() and add() take nothing and return false; the
// caller closes with 4008 (a reader this far behind is closed, not waited for; it resumes
// later). Not thread-safe: used on the session's strand only.
#pragma once

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/ws_frame.h"
#include "service/envelope.h"

namespace parley::api {

class WsWriter {
 public:
  // Frames taken into one gather write (two buffers each: header and payload).
  static constexpr std::size_t kBatch = 64;
  using Frames = std::vector<LiveItem>;

  explicit WsWriter(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Adding. Each returns false, taking nothing, when the bytes held would pass the cap.
  // While closing, what is added is dropped (and true returned): nothing follows a close.
  // An item for the LiveFeed to turn into frames (from the Hub, or a reply in its order).
  bool queue(const LiveItem& item);
  // Frames to write as they are, after the frames already added; all or none. Text frames,
  // unless `op` says binary (the test echo endpoint's answers).
  bool add(LiveItem frame, ws::Opcode op = ws::Opcode::text);
  bool add(Frames&& frames);
  // Answers the newest ping (a pong not yet begun is replaced); ignored while closing.
  void pong(std::string_view payload);
  // Starts closing, once: drops the queue, the pong and (unless keep_output) the frames not
  // begun; the close frame goes out after whatever is left. Returns false if already closing.
  bool close(std::uint16_t code, bool keep_output = false);
  // Drops everything (the socket is gone).
  void clear();

  // The queue, for the feed: the next item, counted out (what the feed makes of it is
  // counted again when added).
  bool hasQueued() const { return queue_head_ < queue_.size(); }
  LiveItem takeQueued();
  // Frames added and not yet begun.
  std::size_t framesWaiting() const { return out_.size() - out_head_; }

  // A gather write: the rest of a frame cut short, a pong, up to kBatch frames, and the
  // close frame once everything before it is out. Headers live in the batch.
  struct Batch {
    std::array<boost::asio::const_buffer, 2 * kBatch + 4> bufs;
    std::array<std::array<std::uint8_t, ws::kMaxHeader>, kBatch + 1> headers;
    std::size_t count = 0;        // buffers used
    std::size_t pong_from = 0;    // bufs[0, pong_from): partial_
    std::size_t frames_from = 0;  // bufs[pong_from, frames_from): the pong
    std::size_t frames = 0;       // then two buffers per frame
    std::size_t close_at = 0;     // bufs[close_at, count): the close frame
    std::string close;
  };
  // Fills `b`; false if there is nothing to write.
  bool prepare(Batch& b);
  // The socket took the first `written` bytes of `b`: drops what is out, keeps the unwritten
  // rest of the frame it cut. Returns true if all of `b` was written.
  bool commit(Batch& b, std::size_t written);

  std::size_t bytes() const { return bytes_; }
  // The part of bytes() that is not in the queue: what waits to be written now. Frames
  // pulled from the Store are paced on it.
  std::size_t bytesToWrite() const { return bytes_ - std::min(queued_bytes_, bytes_); }
  std::size_t maxBytes() const { return max_bytes_; }
  bool closing() const { return close_code_ != 0; }
  std::uint16_t closeCode() const { return close_code_; }
  // Our close frame is written in full.
  bool closeWritten() const { return close_queued_ && partial_.empty(); }
  // Nothing is held: give back what a burst grew, so that an idle connection holds nothing.
  void shrinkIfIdle();

  // Wire bytes of a frame: its header and payload.
  static std::size_t wireSize(std::size_t payload);
  static std::size_t wireSize(const LiveItem& item);

 private:
  bool fits(std::size_t more) const { return bytes_ + more <= max_bytes_; }
  std::size_t pongFrames(Batch& b, std::size_t nh);
  std::size_t walkFrames(Batch& b, std::size_t& left);
  void recount();

  const std::size_t max_bytes_;
  std::size_t bytes_ = 0;         // wire bytes of everything below
  std::size_t queued_bytes_ = 0;  // the part of bytes_ in queue_
  std::vector<LiveItem> queue_;   // items for the feed, from queue_head_ on
  std::size_t queue_head_ = 0;
  struct OutFrame {
    LiveItem item;
    ws::Opcode op;
  };
  std::vector<OutFrame> out_;  // frames to write, from out_head_ on
  std::size_t out_head_ = 0;
  std::string partial_;  // the unwritten rest of a frame a write cut short: goes first
  std::string pong_;     // the payload of the last ping not answered yet
  bool pong_due_ = false;
  std::uint16_t close_code_ = 0;
  bool close_queued_ = false;  // our close frame is written, or its rest is in partial_
};

}  // namespace parley::api
