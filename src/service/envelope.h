// What travels on the Bus: a one-line routing header, then the WebSocket frame exactly as
// clients receive it. Nodes route on the header without parsing the JSON, and every local
// connection is sent the same immutable payload (one allocation per fan-out, not per socket).
//
//   "<kind> <room> <seq> <user>\n<frame json>"
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.h"
#include "ports/bus.h"

namespace parley {

enum class FrameKind : char {
  event = 'E',         // room topic; seq = event seq
  member = 'M',        // room topic; user = subject (joined, role change)
  member_gone = 'X',   // room topic; user = subject, who stops receiving the room
  read = 'D',          // room topic; user = reader
  typing = 'T',        // room topic; user = typist (not echoed to them)
  room_added = 'A',    // user topic; room, seq = room's last seq at the time
  room_removed = 'R',  // user topic; room
  presence = 'P',      // user topic; user = whose presence changed
  revoke = 'S',        // user topic; seq = revoked session id (0: every session)
  direct = 'F',        // never on the bus: a reply to one connection (ack, error, ...)
};

struct Envelope {
  FrameKind kind = FrameKind::direct;
  RoomId room = 0;
  Seq seq = 0;
  UserId user = 0;
};

// A frame on its way to one connection: the shared payload and where its JSON starts.
struct LiveItem {
  Envelope env;
  Bus::Payload payload;
  std::size_t offset = 0;
  std::string_view frame() const { return std::string_view(*payload).substr(offset); }
};

Bus::Payload encodeEnvelope(const Envelope& env, std::string_view frame);
// nullopt for a payload that does not parse (counted and dropped by the caller).
std::optional<LiveItem> decodeEnvelope(Bus::Payload payload);
LiveItem directItem(std::string frame);

std::string roomTopic(RoomId id);
std::string userTopic(UserId id);

}  // namespace parley
