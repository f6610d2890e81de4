// RFC 6455 framing on the server side, after the handshake (which Beast does): bytes in,
// events out, and the headers of the frames we send. No I/O and no Beast, so that
// websocket_session can hold no buffer while a socket is idle and write a socket's queued
// frames with one gather write, and so that it can be fuzzed (fuzz/ws_frame_fuzz.cpp).
//
// What the reader enforces (each failure names the close code to send):
// - every client frame is masked; RSV1-3 are zero (no extension is negotiated);
//   opcodes other than continuation, text, binary, close, ping, pong are refused (1002);
// - lengths use the minimal encoding and the 64-bit form has its top bit clear (1002);
// - control frames (close, ping, pong) are final and carry at most 125 bytes (1002);
// - a continuation needs a message in progress, a new text/binary frame needs none (1002);
// - a message (all its fragments together) is at most `max_message` bytes (1009), checked
//   from the frame header, before its payload is read;
// - a text message is valid UTF-8 (1007), and so is a close frame's reason; a fragmented
//   one fails at the first fragment whose bytes no continuation could make valid;
// - a close frame's payload is empty or a valid code (1000-1003, 1007-1014, 3000-4999)
//   and a reason (1002).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes the reader fails with.
constexpr std::uint16_t kCloseProtocolError = 1002;
constexpr std::uint16_t kCloseInvalidPayload = 1007;
constexpr std::uint16_t kCloseTooBig = 1009;
// Reported for a close frame that carried no code (never sent on the wire).
constexpr std::uint16_t kCloseNoStatus = 1005;

// The largest header of a server frame (unmasked): 2 + 8 bytes.
constexpr std::size_t kMaxHeader = 10;

// Writes the header of one final, unmasked frame of `payload_size` bytes to `out`;
// returns its length (2, 4 or 10).
std::size_t encodeHeader(Opcode op, std::size_t payload_size, std::uint8_t* out);

// A whole close frame: `code` and a reason (cut to fit 125 bytes).
std::string closeFrame(std::uint16_t code, std::string_view reason = {});

bool validUtf8(std::string_view s);
// `s` is UTF-8 that may stop inside its last character (whose bytes so far could still
// make a valid one); `whole` is the length of the complete characters. False as soon as a
// byte makes it invalid whatever follows.
bool validUtf8Prefix(std::string_view s, std::size_t& whole);
// Whether a client may send `code` in a close frame.
bool validCloseCode(std::uint16_t code);

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_message) : max_message_(max_message) {}

  enum class Kind {
    need_more,  // no complete frame yet: read more bytes (nothing consumed)
    fragment,   // a non-final data frame was taken in: call next() again
    message,    // a whole message: `text` tells text from binary
    ping,       // payload = what to echo in the pong
    pong,
    close,  // code (kCloseNoStatus if none) and reason
    fail,   // code = the close code to send; stop reading
  };
  struct Event {
    Kind kind = Kind::need_more;
    std::size_t consumed = 0;  // bytes of the input used up
    bool text = false;
    std::uint16_t code = 0;
    // Valid until the next call of next() (it may point into the input, unmasked in place).
    std::string_view payload;
  };

  // Parses at most one frame from the front of `data` (unmasking it in place). After a
  // `fail` the reader must not be used again.
  Event next(char* data, std::size_t size);

  // Bytes held for a fragmented message in progress.
  std::size_t held() const { return message_.size(); }

 private:
  // After a whole frame's header and unmasked payload: what the frame means.
  Event controlFrame(unsigned op, std::string_view body);
  Event dataFrame(bool fin, unsigned op, std::string_view body);

  std::size_t max_message_;
  bool in_message_ = false;       // a fragmented message is in progress
  bool message_text_ = false;     // its opcode
  bool release_ = false;          // message_ was handed out: clear it on the next call
  std::string message_;           // the fragments so far (empty unless fragmented)
  std::size_t utf8_checked_ = 0;  // its prefix of whole characters found valid so far
};

}  // namespace parley::ws
