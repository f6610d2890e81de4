#include "service/codec.h"

#include <boost/json/serialize.hpp>

namespace parley::codec {

namespace json = boost::json;

json::object user(UserId id, std::string_view username) {
  return json::object{{"id", id}, {"username", username}};
}

json::object session(const Session& s, SessionId current) {
  return json::object{{"id", s.id},
                      {"device", s.device},
                      {"ip", s.ip},
                      {"created_at", s.created_at},
                      {"last_seen_at", s.last_seen_at},
                      {"current", s.id == current}};
}

json::object room(const Room& r) {
  return json::object{{"id", r.id},       {"kind", toString(r.kind)}, {"name", r.name},
                      {"topic", r.topic}, {"public", r.is_public},    {"last_seq", r.last_seq}};
}

json::object member(const Member& m) {
  return json::object{{"user_id", m.user_id},
                      {"username", m.username},
                      {"role", toString(m.role)},
                      {"last_read_seq", m.last_read_seq}};
}

json::object event(const Event& e) {
  const StoredEvent& m = e.meta;
  return json::object{{"room", m.room_id},
                      {"seq", m.seq},
                      {"id", m.event_id},
                      {"kind", toString(m.kind)},
                      {"sender", m.sender},
                      {"sender_name", e.sender_name},
                      {"client_msg_id", m.client_msg_id},
                      {"text", e.text},
                      {"reply_to", m.reply_to},
                      {"target", m.target},
                      {"created_at", m.created_at},
                      {"edited_at", m.edited_at},
                      {"deleted", m.deleted}};
}

std::string eventFrame(const Event& e) {
  return json::serialize(json::object{{"type", "event"}, {"event", event(e)}});
}

}  // namespace parley::codec
