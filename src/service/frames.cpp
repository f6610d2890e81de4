#include "service/frames.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "service/codec.h"

namespace parley::frames {

namespace json = boost::json;

namespace {

json::object withReq(json::object frame, const json::value* req) {
  if (req) frame["req"] = *req;
  return frame;
}

std::string member(RoomId room, UserId user, std::string_view username, std::string_view action,
                   const Role* role) {
  json::object m{{"type", "member"},
                 {"room", room},
                 {"user", codec::user(user, username)},
                 {"action", action}};
  if (role) m["role"] = toString(*role);
  return json::serialize(m);
}

}  // namespace

std::string ready(const User& me, SessionId session, const std::vector<RoomSummary>& rooms) {
  json::array listed;
  listed.reserve(rooms.size());
  for (auto& s : rooms) {
    listed.push_back(json::object{{"id", s.room.id}, {"last_seq", s.room.last_seq}});
  }
  return json::serialize(json::object{{"type", "ready"},
                                      {"user", codec::user(me.id, me.username)},
                                      {"session_id", session},
                                      {"rooms", std::move(listed)}});
}

std::string caughtUp() { return R"({"type":"caught_up"})"; }

std::string ack(const json::value* req, RoomId room, Seq seq) {
  return json::serialize(withReq({{"type", "ack"}, {"room", room}, {"seq", seq}}, req));
}

std::string sendAck(const json::value* req, RoomId room, Seq seq, std::string_view client_msg_id,
                    bool duplicate) {
  json::object a = withReq({{"type", "ack"}, {"room", room}, {"seq", seq}}, req);
  a["client_msg_id"] = client_msg_id;
  a["duplicate"] = duplicate;
  return json::serialize(a);
}

std::string pong(const json::value* req) {
  return json::serialize(withReq({{"type", "pong"}}, req));
}

std::string error(const Error& e, const json::value* req) {
  json::object f{{"type", "error"}, {"code", codeName(e.code)}, {"message", e.message}};
  // What Retry-After says over HTTP: seconds until the limit lets the next one through.
  if (e.code == Code::rate_limited) f["retry_after"] = std::max(1, e.retry_after_s);
  return json::serialize(withReq(std::move(f), req));
}

std::string event(const Event& e) {
  std::string out;
  out.reserve(200 + e.text.size() + e.meta.client_msg_id.size());
  out.append(R"({"type":"event","event":)");
  codec::appendEvent(out, e);
  out.push_back('}');
  return out;
}

std::string memberJoined(RoomId room, UserId user, std::string_view username, Role role) {
  return member(room, user, username, "joined", &role);
}

std::string memberRole(RoomId room, UserId user, std::string_view username, Role role) {
  return member(room, user, username, "role", &role);
}

std::string memberGone(RoomId room, UserId user, std::string_view username,
                       std::string_view action) {
  return member(room, user, username, action, nullptr);
}

std::string roomAdded(const Room& room, Role role, const User* peer) {
  json::object added = codec::room(room);
  added["role"] = toString(role);
  if (peer) added["peer"] = codec::user(peer->id, peer->username);
  return json::serialize(json::object{{"type", "room_added"}, {"room", std::move(added)}});
}

std::string roomRemoved(RoomId room) {
  return json::serialize(json::object{{"type", "room_removed"}, {"room", room}});
}

std::string roomDeleted(RoomId room) {
  return json::serialize(json::object{{"type", "room_deleted"}, {"room", room}});
}

std::string read(RoomId room, UserId user, Seq seq) {
  return fmt::format(R"({{"type":"read","room":{},"user":{},"seq":{}}})", room, user, seq);
}

std::string typing(RoomId room, UserId user, std::string_view username) {
  // Usernames are A-Z a-z 0-9 _ . - (accounts.cpp): nothing in them needs JSON escaping.
  return fmt::format(R"({{"type":"typing","room":{},"user":{{"id":{},"username":"{}"}}}})", room,
                     user, username);
}

std::string presenceSnapshot(json::array online) {
  return json::serialize(
      json::object{{"type", "presence_snapshot"}, {"online", std::move(online)}});
}

std::string presence(UserId user, std::string_view username, bool online) {
  return json::serialize(json::object{
      {"type", "presence"}, {"user", codec::user(user, username)}, {"online", online}});
}

std::string profile(const Profile& p) {
  return json::serialize(json::object{{"type", "profile"}, {"user", codec::profile(p)}});
}

std::string resync(RoomId room, Seq last_seq) {
  return fmt::format(R"({{"type":"resync","room":{},"last_seq":{}}})", room, last_seq);
}

std::string sessionRevoked() { return R"({"type":"session_revoked"})"; }

std::string securityAlert(const Session& s, int score, const std::vector<std::string>& reasons) {
  json::array why;
  for (const auto& r : reasons) why.emplace_back(r);
  return json::serialize(json::object{{"type", "security_alert"},
                                      {"session_id", s.id},
                                      {"device", s.device},
                                      {"ip", s.ip},
                                      {"at", s.created_at},
                                      {"score", score},
                                      {"reasons", std::move(why)}});
}

}  // namespace parley::frames
