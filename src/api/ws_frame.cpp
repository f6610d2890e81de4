#include "api/ws_frame.h"

#include <cstring>
#include <utility>

namespace parley::ws {

std::size_t encodeHeader(Opcode op, std::size_t n, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
  if (n < 126) {
    out[1] = static_cast<std::uint8_t>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(n >> 8);
    out[3] = static_cast<std::uint8_t>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<std::uint8_t>(std::uint64_t(n) >> (56 - 8 * i));
  return 10;
}

std::string closeFrame(std::uint16_t code, std::string_view reason) {
  if (reason.size() > 123) reason = reason.substr(0, 123);
  std::string f(4 + reason.size(), '\0');
  f[0] = static_cast<char>(0x80 | static_cast<std::uint8_t>(Opcode::close));
  f[1] = static_cast<char>(2 + reason.size());
  f[2] = static_cast<char>(code >> 8);
  f[3] = static_cast<char>(code & 0xFF);
  if (!reason.empty()) std::memcpy(f.data() + 4, reason.data(), reason.size());
  return f;
}

namespace {

// A byte that starts a multi-byte sequence: `n` continuation bytes follow, the first within
// [lo, hi]. False for a continuation byte, C0/C1 (overlong) or F5..FF.
bool leadByte(unsigned c, int& n, unsigned& lo, unsigned& hi) {
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // over U+10FFFF
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool validUtf8(std::string_view s) {
  std::size_t whole = 0;
  return validUtf8Prefix(s, whole) && whole == s.size();
}

bool validUtf8Prefix(std::string_view s, std::size_t& whole) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Fast path: eight ASCII bytes at a time.
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (!leadByte(c, n, lo, hi)) return false;
    const long have = end - p - 1;  // continuation bytes present
    if (have >= 1 && (p[1] < lo || p[1] > hi)) return false;
    for (int i = 2; i <= n && i <= have; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    if (have < n) break;  // cut inside its last character, which may still be valid
    p += n + 1;
  }
  whole = static_cast<std::size_t>(p - reinterpret_cast<const unsigned char*>(s.data()));
  return true;
}

bool validCloseCode(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

namespace {

struct FrameHeader {
  bool fin = false;
  unsigned op = 0;
  std::uint64_t len = 0;    // of the payload
  std::size_t mask_at = 2;  // where the masking key starts: the header is 4 bytes longer
};

constexpr std::uint16_t kHeaderRead = 0;
constexpr std::uint16_t kNeedMore = 1;  // not a close code

// The frame header at the front of `u` (RFC 6455, 5.2), with every check that needs no
// state: kHeaderRead, kNeedMore, or the close code to fail with.
std::uint16_t readHeader(const std::uint8_t* u, std::size_t size, FrameHeader& h) {
  if (size < 2) return kNeedMore;
  h.fin = u[0] & 0x80;
  h.op = u[0] & 0x0F;
  if (u[0] & 0x70) return kCloseProtocolError;  // RSV bits: no extension
  if (!(h.op <= 2 || (h.op >= 8 && h.op <= 10))) return kCloseProtocolError;
  if (!(u[1] & 0x80)) return kCloseProtocolError;  // clients must mask
  h.len = u[1] & 0x7F;
  if (h.op >= 8 && (!h.fin || h.len > 125)) return kCloseProtocolError;
  if (h.len == 126) {
    if (size < 4) return kNeedMore;
    h.len = (std::uint64_t(u[2]) << 8) | u[3];
    if (h.len < 126) return kCloseProtocolError;  // not minimal
    h.mask_at = 4;
  } else if (h.len == 127) {
    if (size < 10) return kNeedMore;
    h.len = 0;
    for (int i = 0; i < 8; ++i) h.len = (h.len << 8) | u[2 + i];
    if (h.len >> 63) return kCloseProtocolError;
    if (h.len <= 0xFFFF) return kCloseProtocolError;  // not minimal
    h.mask_at = 10;
  }
  return kHeaderRead;
}

// `ev` turned into a failure (what it had read so far stays, as it always has).
FrameReader::Event failWith(std::uint16_t code, FrameReader::Event ev = {}) {
  ev.kind = FrameReader::Kind::fail;
  ev.code = code;
  return ev;
}

}  // namespace

FrameReader::Event FrameReader::next(char* data, std::size_t size) {
  if (release_) {
    release_ = false;
    message_.clear();
    if (message_.capacity() > 256) std::string().swap(message_);
  }
  const auto* u = reinterpret_cast<const std::uint8_t*>(data);
  FrameHeader h;
  if (auto r = readHeader(u, size, h); r != kHeaderRead) {
    return r == kNeedMore ? Event{} : failWith(r);
  }
  const bool control = h.op >= 8;
  if (!control) {
    if (h.op == 0 && !in_message_) return failWith(kCloseProtocolError);
    if (h.op != 0 && in_message_) return failWith(kCloseProtocolError);
    // The size limit applies to the whole message, before its bytes are waited for.
    if (h.len > max_message_ || message_.size() + h.len > max_message_) {
      return failWith(kCloseTooBig);
    }
  }
  const std::size_t header = h.mask_at + 4;
  if (size < header || size - header < h.len) return Event{};  // wait for the whole frame
  std::uint8_t mask[4];
  std::memcpy(mask, u + h.mask_at, 4);
  char* payload = data + header;
  for (std::size_t i = 0; i < h.len; ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
  std::string_view body(payload, static_cast<std::size_t>(h.len));
  Event ev = control ? controlFrame(h.op, body) : dataFrame(h.fin, h.op, body);
  ev.consumed = header + static_cast<std::size_t>(h.len);
  return ev;
}

FrameReader::Event FrameReader::controlFrame(unsigned op, std::string_view body) {
  Event ev;
  if (op == 0x9) {
    ev.kind = Kind::ping;
    ev.payload = body;
    return ev;
  }
  if (op == 0xA) {
    ev.kind = Kind::pong;
    ev.payload = body;
    return ev;
  }
  if (body.size() == 1) return failWith(kCloseProtocolError, ev);
  ev.kind = Kind::close;
  ev.code = kCloseNoStatus;
  if (body.size() >= 2) {
    ev.code = static_cast<std::uint16_t>((std::uint8_t(body[0]) << 8) | std::uint8_t(body[1]));
    if (!validCloseCode(ev.code)) return failWith(kCloseProtocolError, ev);
    ev.payload = body.substr(2);
    if (!validUtf8(ev.payload)) return failWith(kCloseInvalidPayload, ev);
  }
  return ev;
}

FrameReader::Event FrameReader::dataFrame(bool fin, unsigned op, std::string_view body) {
  Event ev;
  if (op != 0) message_text_ = op == 0x1;
  if (!fin) {
    in_message_ = true;
    message_.append(body);
    ev.kind = Kind::fragment;
    // Fail fast: a text message is refused at the fragment that breaks its UTF-8, not at
    // its end (only the characters not yet checked are looked at again).
    std::size_t whole = 0;
    std::string_view unchecked = std::string_view(message_).substr(utf8_checked_);
    if (message_text_ && !validUtf8Prefix(unchecked, whole))
      return failWith(kCloseInvalidPayload, ev);
    utf8_checked_ += whole;
    return ev;
  }
  ev.kind = Kind::message;
  ev.text = message_text_;
  if (in_message_) {
    message_.append(body);
    in_message_ = false;
    release_ = true;
    ev.payload = message_;
  } else {
    ev.payload = body;
  }
  const std::size_t checked = std::exchange(utf8_checked_, 0);
  if (ev.text && !validUtf8(ev.payload.substr(checked))) return failWith(kCloseInvalidPayload, ev);
  return ev;
}

}  // namespace parley::ws
