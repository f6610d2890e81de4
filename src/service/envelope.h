// What travels on the Bus: a one-line routing header, then the WebSocket frame exactly as
// clients receive it. Nodes route on the header without parsing the JSON, and every local
// connection is sent the same immutable payload (one allocation per fan-out, not per socket).
//
//   "<kind> <room> <n> <user>\n<frame json>"
//
// where <n> is the one number the kind needs besides room and user: the seq (event, read,
// room_added), the session (revoke, alert), 1 or 0 for online (presence), else 0.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.h"
#include "ports/bus.h"

namespace parley {

enum class FrameKind : char {
  event = 'E',         // room topic
  member = 'M',        // room topic: joined, role change
  member_gone = 'X',   // room topic: the subject stops receiving the room
  read = 'D',          // room topic
  typing = 'T',        // room topic; not echoed to the typist
  room_added = 'A',    // user topic
  room_removed = 'R',  // user topic
  presence = 'P',      // user topic (of each presence peer)
  revoke = 'S',        // user topic
  alert = 'L',         // user topic: to every session of the user but the one it is about
  profile = 'U',       // user topic (of the user and of each sharer): a changed profile
  direct = 'F',        // never on the bus: a reply to one connection (ack, error, ...)
};

// The routing header of a frame. Each field means one thing; a kind sets only the fields its
// constructor names, and the others stay zero. Made by a named constructor (the declared
// default constructor keeps `Envelope{...}` by position from compiling).
struct Envelope {
  Envelope() = default;  // direct: a reply to one connection

  FrameKind kind = FrameKind::direct;
  RoomId room = 0;
  UserId user = 0;        // whom it is about: sender, member, reader, typist, or the user
                          // whose topic it is on (room_added/removed, presence, revoke)
  Seq seq = 0;            // event: its seq; read: the marker; room_added: the room's last seq
  SessionId session = 0;  // revoke: the session to end (0: every session of `user`);
                          // alert: the new session it is about (not sent to it)
  bool online = false;    // presence

  static Envelope event(RoomId room, Seq seq, UserId sender);
  static Envelope member(RoomId room, UserId subject);
  static Envelope memberGone(RoomId room, UserId subject);
  static Envelope read(RoomId room, UserId reader, Seq marker);
  static Envelope typing(RoomId room, UserId typist);
  static Envelope roomAdded(RoomId room, Seq last_seq, UserId user);
  static Envelope roomRemoved(RoomId room, UserId user);
  static Envelope presence(UserId user, bool online);
  static Envelope revoke(UserId user, SessionId session);
  static Envelope alert(UserId user, SessionId about);
  static Envelope profile(UserId user);

 private:
  Envelope(FrameKind kind, RoomId room, UserId user) : kind(kind), room(room), user(user) {}
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
