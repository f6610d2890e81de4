#include "api/ws_frame.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::ws {
namespace {

using Kind = FrameReader::Kind;

// A client frame: FIN/RSV/opcode byte as given, masked with a fixed key.
std::string frame(std::uint8_t first, std::string_view payload, bool masked = true,
                  int force_len_form = 0) {
  std::string f;
  f.push_back(static_cast<char>(first));
  std::size_t n = payload.size();
  std::uint8_t m = masked ? 0x80 : 0;
  if ((n < 126 && force_len_form == 0) || force_len_form == 1) {
    f.push_back(static_cast<char>(m | n));
  } else if ((n <= 0xFFFF && force_len_form == 0) || force_len_form == 2) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(std::uint64_t(n) >> (8 * i)));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i)
    f.push_back(static_cast<char>(payload[i] ^ (masked ? key[i & 3] : 0)));
  return f;
}

std::string text(std::string_view p) { return frame(0x81, p); }

// Feeds `bytes` and returns every event up to need_more or fail.
struct Fed {
  std::vector<FrameReader::Event> events;
  std::vector<std::string> payloads;
};
Fed feed(FrameReader& r, std::string& bytes) {
  Fed out;
  std::size_t at = 0;
  for (;;) {
    auto ev = r.next(bytes.data() + at, bytes.size() - at);
    at += ev.consumed;
    if (ev.kind == Kind::need_more) break;
    out.events.push_back(ev);
    out.payloads.emplace_back(ev.payload);
    if (ev.kind == Kind::fail) break;
  }
  bytes.erase(0, at);
  return out;
}

// The first event of `bytes`, with its payload copied out of them.
struct Owned {
  Kind kind = Kind::need_more;
  bool text = false;
  std::uint16_t code = 0;
  std::string payload;
};
Owned one(std::string bytes, std::size_t max = 1024) {
  FrameReader r(max);
  auto fed = feed(r, bytes);
  if (fed.events.empty()) return {};
  auto& e = fed.events.front();
  return Owned{e.kind, e.text, e.code, fed.payloads.front()};
}

TEST(WsFrame, TextMessageUnmasked) {
  std::string b = text(R"({"type":"hello"})");
  FrameReader r(1024);
  auto fed = feed(r, b);
  ASSERT_EQ(fed.events.size(), 1u);
  EXPECT_EQ(fed.events[0].kind, Kind::message);
  EXPECT_TRUE(fed.events[0].text);
  EXPECT_EQ(fed.payloads[0], R"({"type":"hello"})");
  EXPECT_TRUE(b.empty());
}

TEST(WsFrame, BytesArrivingOneByOneGiveTheSameMessage) {
  std::string all = text(std::string(300, 'x')) + text("second");
  FrameReader r(1024);
  std::string buf;
  std::vector<std::string> got;
  for (char c : all) {
    buf.push_back(c);
    auto fed = feed(r, buf);
    for (auto& p : fed.payloads) got.push_back(p);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::string(300, 'x'));
  EXPECT_EQ(got[1], "second");
}

TEST(WsFrame, LengthForms) {
  for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u, 70000u}) {
    auto ev = one(text(std::string(n, 'a')), 100000);
    ASSERT_EQ(ev.kind, Kind::message) << n;
    EXPECT_EQ(ev.payload.size(), n);
  }
}

TEST(WsFrame, UnmaskedClientFrameIsProtocolError) {
  auto ev = one(frame(0x81, "hi", false));
  EXPECT_EQ(ev.kind, Kind::fail);
  EXPECT_EQ(ev.code, kCloseProtocolError);
}

TEST(WsFrame, ReservedBitsAndUnknownOpcodesAreProtocolErrors) {
  for (std::uint8_t first : {0xC1, 0xA1, 0x91, 0x83, 0x87, 0x8B, 0x8F}) {
    auto ev = one(frame(first, "hi"));
    EXPECT_EQ(ev.kind, Kind::fail) << int(first);
    EXPECT_EQ(ev.code, kCloseProtocolError) << int(first);
  }
}

TEST(WsFrame, NonMinimalLengthsAreProtocolErrors) {
  auto ev = one(frame(0x81, "short", true, 2));
  EXPECT_EQ(ev.code, kCloseProtocolError);
  ev = one(frame(0x81, std::string(200, 'a'), true, 3), 100000);
  EXPECT_EQ(ev.code, kCloseProtocolError);
  // The 64-bit form with its top bit set.
  std::string b("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x00", 10);
  ev = one(b);
  EXPECT_EQ(ev.kind, Kind::fail);
  EXPECT_EQ(ev.code, kCloseProtocolError);
}

TEST(WsFrame, OversizedFrameFailsFromItsHeaderAlone) {
  std::string full = text(std::string(2000, 'a'));
  std::string header_only = full.substr(0, 8);  // 4 bytes of length form + mask
  auto ev = one(header_only, 1024);
  EXPECT_EQ(ev.kind, Kind::fail);
  EXPECT_EQ(ev.code, kCloseTooBig);
  // Exactly the limit passes.
  ev = one(text(std::string(1024, 'a')), 1024);
  EXPECT_EQ(ev.kind, Kind::message);
}

TEST(WsFrame, FragmentsAreReassembledWithinTheLimit) {
  FrameReader r(1024);
  std::string first = frame(0x01, "hel");
  feed(r, first);
  EXPECT_EQ(r.held(), 3u);
  std::string b = frame(0x89, "p") + frame(0x00, "lo ") + frame(0x80, "you");
  auto fed = feed(r, b);
  ASSERT_EQ(fed.events.size(), 3u);
  EXPECT_EQ(fed.events[0].kind, Kind::ping);  // control frames may come between fragments
  EXPECT_EQ(fed.payloads[0], "p");
  EXPECT_EQ(fed.events[1].kind, Kind::fragment);
  EXPECT_EQ(fed.events[2].kind, Kind::message);
  EXPECT_TRUE(fed.events[2].text);
  EXPECT_EQ(fed.payloads[2], "hello you");
  std::string more = text("next");
  auto again = feed(r, more);
  ASSERT_EQ(again.payloads.size(), 1u);
  EXPECT_EQ(again.payloads[0], "next");
  EXPECT_EQ(r.held(), 0u);

  // Together the fragments may not pass the limit.
  std::string big = frame(0x01, std::string(600, 'a')) + frame(0x80, std::string(600, 'b'));
  FrameReader small(1024);
  auto over = feed(small, big);
  ASSERT_EQ(over.events.size(), 2u);
  EXPECT_EQ(over.events[1].kind, Kind::fail);
  EXPECT_EQ(over.events[1].code, kCloseTooBig);
}

TEST(WsFrame, ContinuationWithoutStartAndStartInsideMessageAreProtocolErrors) {
  auto ev = one(frame(0x80, "x"));
  EXPECT_EQ(ev.code, kCloseProtocolError);
  std::string b = frame(0x01, "a") + frame(0x81, "b");
  FrameReader r(1024);
  auto fed = feed(r, b);
  ASSERT_EQ(fed.events.size(), 2u);
  EXPECT_EQ(fed.events[1].kind, Kind::fail);
  EXPECT_EQ(fed.events[1].code, kCloseProtocolError);
}

TEST(WsFrame, ControlFramesAreShortAndUnfragmented) {
  EXPECT_EQ(one(frame(0x89, std::string(125, 'p'))).kind, Kind::ping);
  auto ev = one(frame(0x89, std::string(126, 'p')));
  EXPECT_EQ(ev.kind, Kind::fail);
  EXPECT_EQ(ev.code, kCloseProtocolError);
  ev = one(frame(0x09, "p"));  // a ping without FIN
  EXPECT_EQ(ev.code, kCloseProtocolError);
  ev = one(frame(0x0A, "p"));  // a pong without FIN
  EXPECT_EQ(ev.code, kCloseProtocolError);
  ev = one(frame(0x8A, "p"));
  EXPECT_EQ(ev.kind, Kind::pong);
}

TEST(WsFrame, PingPayloadIsEchoed) {
  auto ev = one(frame(0x89, "abc\x01"));
  EXPECT_EQ(ev.kind, Kind::ping);
  EXPECT_EQ(ev.payload, "abc\x01");
}

TEST(WsFrame, InvalidUtf8InTextIs1007AndBinaryIsNotChecked) {
  auto ev = one(text("ok \xC3\x28"));
  EXPECT_EQ(ev.kind, Kind::fail);
  EXPECT_EQ(ev.code, kCloseInvalidPayload);
  ev = one(frame(0x82, "\xC3\x28"));
  EXPECT_EQ(ev.kind, Kind::message);
  EXPECT_FALSE(ev.text);
  // A code point split across fragments is fine; the message as a whole is checked.
  std::string b = frame(0x01, "\xE2\x82") + frame(0x80, "\xAC");
  FrameReader r(1024);
  auto fed = feed(r, b);
  ASSERT_EQ(fed.events.size(), 2u);
  EXPECT_EQ(fed.events[1].kind, Kind::message);
  EXPECT_EQ(fed.payloads[1], "\xE2\x82\xAC");
}

// Autobahn 6.4.1/6.4.2: a fragmented text message fails at the fragment whose bytes no
// continuation could make valid, before its final fragment arrives.
TEST(WsFrame, InvalidUtf8FailsAtItsFragmentNotAtTheEnd) {
  FrameReader r(1024);
  std::string b = frame(0x01, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5") +
                  frame(0x00, "\xF4\x90\x80\x80");  // over U+10FFFF
  auto fed = feed(r, b);
  ASSERT_EQ(fed.events.size(), 2u);
  EXPECT_EQ(fed.events[0].kind, Kind::fragment);
  EXPECT_EQ(fed.events[1].kind, Kind::fail);
  EXPECT_EQ(fed.events[1].code, kCloseInvalidPayload);
  // A character cut between fragments waits for its rest; so does the check of the rest.
  FrameReader cut(1024);
  std::string c = frame(0x01, "a\xF0") + frame(0x00, "\x90") + frame(0x00, "\x80");
  auto ok = feed(cut, c);
  ASSERT_EQ(ok.events.size(), 3u);
  EXPECT_EQ(ok.events[2].kind, Kind::fragment);
  std::string bad = frame(0x80, "x");  // the character never finishes
  auto end = feed(cut, bad);
  ASSERT_EQ(end.events.size(), 1u);
  EXPECT_EQ(end.events[0].kind, Kind::fail);
  // Binary fragments are never checked.
  FrameReader bin(1024);
  std::string d = frame(0x02, "\xFF") + frame(0x80, "\xFE");
  auto fine = feed(bin, d);
  ASSERT_EQ(fine.events.size(), 2u);
  EXPECT_EQ(fine.events[1].kind, Kind::message);
}

TEST(WsFrame, Utf8PrefixAllowsOnlyACutLastCharacter) {
  std::size_t whole = 99;
  EXPECT_TRUE(validUtf8Prefix("ab\xE2\x82", whole));
  EXPECT_EQ(whole, 2u);
  EXPECT_TRUE(validUtf8Prefix("ab\xF0", whole));
  EXPECT_EQ(whole, 2u);
  EXPECT_TRUE(validUtf8Prefix("\xE2\x82\xAC", whole));
  EXPECT_EQ(whole, 3u);
  EXPECT_FALSE(validUtf8Prefix("ab\xE0\x80", whole));  // overlong already
  EXPECT_FALSE(validUtf8Prefix("ab\xF4\x90", whole));  // over U+10FFFF already
  EXPECT_FALSE(validUtf8Prefix("ab\xED\xA0", whole));  // a surrogate already
  EXPECT_FALSE(validUtf8Prefix("ab\xC3\x28", whole));
}

TEST(WsFrame, Utf8Validation) {
  EXPECT_TRUE(validUtf8(""));
  EXPECT_TRUE(validUtf8("plain ascii long enough for the fast path"));
  EXPECT_TRUE(
      validUtf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(validUtf8("κόσμε"));
  EXPECT_FALSE(validUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(validUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(validUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(validUtf8("\xE0\x9F\xBF"));      // overlong
  EXPECT_FALSE(validUtf8("\xF0\x8F\xBF\xBF"));  // overlong
  EXPECT_FALSE(validUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(validUtf8("\xF4\x90\x80\x80"));  // over U+10FFFF
  EXPECT_FALSE(validUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(validUtf8("\xFF"));
  EXPECT_FALSE(validUtf8("abc\xE2\x82"));  // truncated
  EXPECT_FALSE(validUtf8("12345678\xE2\x28\xA1"));
}

TEST(WsFrame, CloseFrames) {
  auto ev = one(frame(0x88, ""));
  EXPECT_EQ(ev.kind, Kind::close);
  EXPECT_EQ(ev.code, kCloseNoStatus);
  ev = one(frame(0x88, std::string("\x03\xE8", 2) + "bye"));
  EXPECT_EQ(ev.kind, Kind::close);
  EXPECT_EQ(ev.code, 1000);
  EXPECT_EQ(ev.payload, "bye");
  ev = one(frame(0x88, "\x0F\xA0"));  // 4000
  EXPECT_EQ(ev.code, 4000);
  // One byte of payload, codes nobody may send, and a reason that is not UTF-8.
  EXPECT_EQ(one(frame(0x88, "\x03")).code, kCloseProtocolError);
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    auto bad = one(frame(0x88, p));
    EXPECT_EQ(bad.kind, Kind::fail) << code;
    EXPECT_EQ(bad.code, kCloseProtocolError) << code;
  }
  auto bad_reason = one(frame(0x88, std::string("\x03\xE8", 2) + "\xFF"));
  EXPECT_EQ(bad_reason.code, kCloseInvalidPayload);
}

TEST(WsFrame, ServerHeadersAndCloseFrame) {
  std::uint8_t h[kMaxHeader];
  EXPECT_EQ(encodeHeader(Opcode::text, 5, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 5);
  EXPECT_EQ(encodeHeader(Opcode::text, 300, h), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 300);
  EXPECT_EQ(encodeHeader(Opcode::pong, 70000, h), 10u);
  EXPECT_EQ(h[0], 0x8A);
  EXPECT_EQ(h[1], 127);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | h[2 + i];
  EXPECT_EQ(n, 70000u);
  std::string c = closeFrame(4008);
  EXPECT_EQ(c, std::string("\x88\x02\x0F\xA8", 4));
  EXPECT_EQ(closeFrame(1000, std::string(200, 'r')).size(), 127u);  // reason cut to 123
}

}  // namespace
}  // namespace parley::ws
