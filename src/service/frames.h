// The catalogue of frames the server sends over the WebSocket: one function per frame of
// docs/protocol.md, in its order ("Connecting", then "Client → server" answers, then
// "Server → client"). Nothing else writes a frame's JSON, so a frame's shape is read and
// changed in one place, and a test can hold every frame against the document.
//
// `req` is the client's request id, echoed when the command carried one (nullptr: none).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "domain/types.h"
#include "ports/store.h"
#include "service/event.h"

namespace parley::frames {

// ---- Connecting ----

// `ready`: who I am, this session, and every room I am a member of with its last seq.
std::string ready(const User& me, SessionId session, const std::vector<RoomSummary>& rooms);
// `caught_up`: the replay and the presence snapshot are done; live events follow.
std::string caughtUp();

// ---- answers to client commands ----

// `ack` for edit, delete and read: the seq of the edit/delete event, or the read marker.
std::string ack(const boost::json::value* req, RoomId room, Seq seq);
// `ack` for send: the message's seq, its client_msg_id, and whether it was a retry.
std::string sendAck(const boost::json::value* req, RoomId room, Seq seq,
                    std::string_view client_msg_id, bool duplicate);
std::string pong(const boost::json::value* req);
// `error`: the code and message of `e`; `rate_limited` also carries retry_after (seconds).
std::string error(const Error& e, const boost::json::value* req);

// ---- Server → client ----

// `event`: a timeline event (message, edit or delete), as docs/api.md's event object.
std::string event(const Event& e);
// `member` with action joined or role (with the role), or left/removed (without one).
std::string memberJoined(RoomId room, UserId user, std::string_view username, Role role);
std::string memberRole(RoomId room, UserId user, std::string_view username, Role role);
std::string memberGone(RoomId room, UserId user, std::string_view username,
                       std::string_view action);
// `room_added`: the room object of docs/api.md (with my role, and the peer of a direct room).
std::string roomAdded(const Room& room, Role role, const User* peer);
std::string roomRemoved(RoomId room);
// The room was deleted (by its owner or a server admin): nothing of it opens any more.
std::string roomDeleted(RoomId room);
// `read`: a member's read marker moved.
std::string read(RoomId room, UserId user, Seq seq);
std::string typing(RoomId room, UserId user, std::string_view username);
// `presence_snapshot`: user objects of the presence peers online now.
std::string presenceSnapshot(boost::json::array online);
std::string presence(UserId user, std::string_view username, bool online);
// `profile`: a user who shares a room with the receiver (or the receiver, from another
// session) changed their profile.
std::string profile(const Profile& p);
// `resync`: more was missed than a replay carries; reload the room over REST.
std::string resync(RoomId room, Seq last_seq);

// ---- between nodes only ----

// The payload of a revoke envelope. Never written to a socket: the receiving node closes
// the revoked sessions' connections instead (close code 4001).
std::string sessionRevoked();
// To the account's other sessions: a login scored suspicious (login_risk.h).
std::string securityAlert(const Session& s, int score, const std::vector<std::string>& reasons);

}  // namespace parley::frames
