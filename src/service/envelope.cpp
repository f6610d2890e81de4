#include "service/envelope.h"

#include <fmt/format.h>

#include <charconv>

namespace parley {

Envelope Envelope::event(RoomId room, Seq seq, UserId sender) {
  Envelope env(FrameKind::event, room, sender);
  env.seq = seq;
  return env;
}

Envelope Envelope::member(RoomId room, UserId subject) {
  return {FrameKind::member, room, subject};
}

Envelope Envelope::memberGone(RoomId room, UserId subject) {
  return {FrameKind::member_gone, room, subject};
}

Envelope Envelope::read(RoomId room, UserId reader, Seq marker) {
  Envelope env(FrameKind::read, room, reader);
  env.seq = marker;
  return env;
}

Envelope Envelope::typing(RoomId room, UserId typist) { return {FrameKind::typing, room, typist}; }

Envelope Envelope::roomAdded(RoomId room, Seq last_seq, UserId user) {
  Envelope env(FrameKind::room_added, room, user);
  env.seq = last_seq;
  return env;
}

Envelope Envelope::roomRemoved(RoomId room, UserId user) {
  return {FrameKind::room_removed, room, user};
}

Envelope Envelope::presence(UserId user, bool online) {
  Envelope env(FrameKind::presence, 0, user);
  env.online = online;
  return env;
}

Envelope Envelope::revoke(UserId user, SessionId session) {
  Envelope env(FrameKind::revoke, 0, user);
  env.session = session;
  return env;
}

Envelope Envelope::alert(UserId user, SessionId about) {
  Envelope env(FrameKind::alert, 0, user);
  env.session = about;
  return env;
}

Envelope Envelope::profile(UserId user) { return {FrameKind::profile, 0, user}; }

namespace {

// The header's third number: the one field the kind carries besides room and user.
std::int64_t wireNumber(const Envelope& env) {
  switch (env.kind) {
    case FrameKind::presence:
      return env.online ? 1 : 0;
    case FrameKind::revoke:
    case FrameKind::alert:
      return env.session;
    default:
      return env.seq;
  }
}

void setWireNumber(Envelope& env, std::int64_t n) {
  switch (env.kind) {
    case FrameKind::presence:
      env.online = n == 1;
      break;
    case FrameKind::revoke:
    case FrameKind::alert:
      env.session = n;
      break;
    default:
      env.seq = n;
      break;
  }
}

}  // namespace

Bus::Payload encodeEnvelope(const Envelope& env, std::string_view frame) {
  std::string s = fmt::format("{} {} {} {}\n", static_cast<char>(env.kind), env.room,
                              wireNumber(env), env.user);
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
  std::int64_t n = 0;
  if (p == end || *p++ != ' ' || !readInt(p, end, n)) return std::nullopt;
  if (p == end || *p++ != ' ' || !readInt(p, end, item.env.user)) return std::nullopt;
  if (p != end) return std::nullopt;
  setWireNumber(item.env, n);
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
