#include "service/envelope.h"

#include <fmt/format.h>

#include <charconv>

namespace parley {

Bus::Payload encodeEnvelope(const Envelope& env, std::string_view frame) {
  std::string s =
      fmt::format("{} {} {} {}\n", static_cast<char>(env.kind), env.room, env.seq, env.user);
  s.append(frame);
  return std::make_shared<const std::string>(std::move(s));
}

namespace {
bool readInt(const char*& p, const char* end, std::int64_t& out) {
  auto [q, ec] = std::from_chars(p, end, out);
  if (ec != std::errc()) return false;
  p = q;
  return true;
}
}  // namespace

std::optional<LiveItem> decodeEnvelope(Bus::Payload payload) {
  const std::string& s = *payload;
  auto nl = s.find('\n');
  if (nl == std::string::npos || nl < 7) return std::nullopt;
  LiveItem item;
  item.env.kind = static_cast<FrameKind>(s[0]);
  const char* p = s.data() + 1;
  const char* end = s.data() + nl;
  if (*p++ != ' ' || !readInt(p, end, item.env.room)) return std::nullopt;
  if (p == end || *p++ != ' ' || !readInt(p, end, item.env.seq)) return std::nullopt;
  if (p == end || *p++ != ' ' || !readInt(p, end, item.env.user)) return std::nullopt;
  if (p != end) return std::nullopt;
  item.offset = nl + 1;
  item.payload = std::move(payload);
  return item;
}

LiveItem directItem(std::string frame) {
  LiveItem item;
  item.payload = std::make_shared<const std::string>(std::move(frame));
  return item;
}

std::string roomTopic(RoomId id) { return fmt::format("room:{}", id); }
std::string userTopic(UserId id) { return fmt::format("user:{}", id); }

}  // namespace parley
