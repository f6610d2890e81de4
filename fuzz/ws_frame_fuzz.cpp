// The WebSocket frame reader on arbitrary client bytes, fed in chunks whose sizes come
// from the input: it must never read out of bounds, hand out a message over its limit or
// a text message that is not UTF-8, nor accept a close code a client may not send; and the
// same bytes fed whole or in pieces must give the same events.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/ws_frame.h"

namespace {

constexpr std::size_t kMax = 1024;

struct Seen {
  std::vector<int> kinds;
  std::vector<std::string> payloads;
};

// Feeds `bytes` in chunks of the sizes in `cuts` (cycled); stops at the first failure.
Seen run(const std::string& bytes, const std::vector<std::size_t>& cuts) {
  using Kind = parley::ws::FrameReader::Kind;
  parley::ws::FrameReader r(kMax);
  Seen seen;
  std::string buf;
  std::size_t fed = 0, cut = 0;
  for (;;) {
    if (fed < bytes.size()) {
      std::size_t n = cuts.empty() ? bytes.size() : cuts[cut++ % cuts.size()];
      n = std::min(n, bytes.size() - fed);
      buf.append(bytes, fed, n);
      fed += n;
    }
    std::size_t at = 0;
    for (;;) {
      auto ev = r.next(buf.data() + at, buf.size() - at);
      if (ev.consumed > buf.size() - at) std::abort();
      at += ev.consumed;
      if (ev.kind == Kind::need_more) break;
      if (ev.kind == Kind::message) {
        if (ev.payload.size() > kMax) std::abort();
        if (ev.text && !parley::ws::validUtf8(ev.payload)) std::abort();
      }
      if (ev.kind == Kind::close && ev.code != parley::ws::kCloseNoStatus &&
          !parley::ws::validCloseCode(ev.code))
        std::abort();
      if ((ev.kind == Kind::ping || ev.kind == Kind::pong) && ev.payload.size() > 125) std::abort();
      if (r.held() > kMax) std::abort();
      seen.kinds.push_back(static_cast<int>(ev.kind));
      seen.payloads.emplace_back(ev.payload);
      if (ev.kind == Kind::fail) return seen;
    }
    buf.erase(0, at);
    if (fed == bytes.size()) return seen;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte picks the chunk sizes; the rest is the stream from the client.
  std::vector<std::size_t> cuts{1u + (data[0] & 0x0F), 1u + (data[0] >> 4) * 7u, 3u};
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  Seen whole = run(bytes, {});
  Seen pieces = run(bytes, cuts);
  if (whole.kinds != pieces.kinds || whole.payloads != pieces.payloads) std::abort();
  return 0;
}
