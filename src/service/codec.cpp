#include "service/codec.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <optional>

namespace parley::codec {

namespace json = boost::json;

json::object user(UserId id, std::string_view username) {
  return json::object{{"id", id}, {"username", username}};
}

json::object profile(const Profile& p) {
  auto orNull = [](const std::string& s) -> json::value {
    if (s.empty()) return nullptr;
    return json::string(s);
  };
  return json::object{{"id", p.user_id},
                      {"username", p.username},
                      {"display_name", orNull(p.display_name)},
                      {"status_text", orNull(p.status_text)},
                      {"status_emoji", orNull(p.status_emoji)},
                      {"time_zone", orNull(p.time_zone)},
                      {"avatar", orNull(p.avatar)}};
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
  return json::object{{"id", r.id},
                      {"kind", toString(r.kind)},
                      {"name", r.name},
                      {"topic", r.topic},
                      {"public", r.is_public},
                      {"last_seq", r.last_seq},
                      {"room_mentions", toString(r.room_mentions)},
                      {"pins", toString(r.pins)},
                      {"archived", r.archived},
                      {"post", toString(r.post)}};
}

json::object member(const Member& m) {
  return json::object{{"user_id", m.user_id},
                      {"username", m.username},
                      {"role", toString(m.role)},
                      {"last_read_seq", m.last_read_seq}};
}

json::object file(const FileView& f) {
  const FileRecord& r = f.record;
  json::value image = nullptr;
  if (r.image_width > 0 && r.image_height > 0) {
    image = json::object{{"width", r.image_width}, {"height", r.image_height}};
  }
  return json::object{{"id", r.id},
                      {"room", r.room_id},
                      {"name", f.name},
                      {"size", r.size},
                      {"mime", r.mime},
                      {"uploader", r.uploader},
                      {"created_at", r.created_at},
                      {"image", std::move(image)},
                      {"thumbnail", r.thumb_size > 0}};
}

namespace {

const json::string* stringAt(const json::object& o, const char* key) {
  const json::value* x = o.if_contains(key);
  return x ? x->if_string() : nullptr;
}

std::optional<std::int64_t> intAt(const json::object& o, const char* key) {
  const json::value* x = o.if_contains(key);
  if (x && x->is_int64()) return x->get_int64();
  if (x && x->is_uint64()) return static_cast<std::int64_t>(x->get_uint64());
  return std::nullopt;
}

// The optional parts: the image's size and whether a thumbnail exists (its size is the row's
// business, so only 1 or 0 here).
void readImage(const json::object& o, FileRecord& r) {
  if (const json::value* img = o.if_contains("image"); img && img->is_object()) {
    const json::object& io = img->get_object();
    if (auto w = io.if_contains("width"); w && w->is_int64()) {
      r.image_width = static_cast<int>(w->get_int64());
    }
    if (auto h = io.if_contains("height"); h && h->is_int64()) {
      r.image_height = static_cast<int>(h->get_int64());
    }
  }
  if (const json::value* t = o.if_contains("thumbnail"); t && t->is_bool() && t->get_bool()) {
    r.thumb_size = 1;
  }
}

Result<FileView> fileFrom(const json::value& v) {
  auto bad = [] { return makeError(Code::internal, "a stored file object does not parse"); };
  const json::object* o = v.if_object();
  if (!o) return bad();
  const json::string* id = stringAt(*o, "id");
  const json::string* name = stringAt(*o, "name");
  const json::string* mime = stringAt(*o, "mime");
  auto room = intAt(*o, "room");
  auto size = intAt(*o, "size");
  auto uploader = intAt(*o, "uploader");
  auto created = intAt(*o, "created_at");
  if (!id || !name || !mime || !room || !size || !uploader || !created) return bad();
  FileView f;
  f.record.id = std::string(*id);
  f.record.room_id = *room;
  f.record.size = static_cast<std::uint64_t>(*size);
  f.record.mime = std::string(*mime);
  f.record.uploader = *uploader;
  f.record.created_at = *created;
  f.name = std::string(*name);
  readImage(*o, f.record);
  return f;
}

}  // namespace

Result<std::vector<FileView>> filesFrom(const json::value* list) {
  std::vector<FileView> out;
  if (!list) return out;
  const json::array* a = list->if_array();
  if (!a) return makeError(Code::internal, "stored files are not a list");
  for (const auto& v : *a) {
    auto f = fileFrom(v);
    if (!f) return f.error();
    out.push_back(std::move(*f));
  }
  return out;
}

namespace {

// The Store wrote the aggregate (reactionsJson); one it cannot have written reads as none.
json::value reactionsOf(const StoredEvent& m) {
  if (m.reactions.empty()) return json::array();
  boost::system::error_code ec;
  json::value v = json::parse(m.reactions, ec);
  if (ec || !v.is_array()) return json::array();
  return v;
}

// A summary the Store wrote (threadJson); none (null) when empty or not one it writes.
json::value threadOf(const std::string& summary) {
  if (summary.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(summary, ec);
  if (ec || !v.is_object()) return nullptr;
  return v;
}

}  // namespace

namespace {

// A settings event's opened body (service/room_settings.h settingsBody); null for every
// other kind, and for a body that does not parse (none is written so).
json::value settingsOf(const Event& e) {
  if (e.meta.kind != EventKind::settings) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(e.text, ec);
  if (ec || !v.is_object()) return nullptr;
  return v;
}

}  // namespace

json::object event(const Event& e) {
  const StoredEvent& m = e.meta;
  const bool settings = m.kind == EventKind::settings;
  json::array files;
  for (const auto& f : e.files) files.push_back(file(f));
  json::array mentioned;
  for (UserId id : m.mentions) mentioned.push_back(id);
  return json::object{{"room", m.room_id},
                      {"seq", m.seq},
                      {"id", m.event_id},
                      {"kind", toString(m.kind)},
                      {"sender", m.sender},
                      {"sender_name", e.sender_name},
                      {"client_msg_id", m.client_msg_id},
                      {"text", settings ? std::string() : e.text},
                      {"reply_to", m.reply_to},
                      {"target", m.target},
                      {"created_at", m.created_at},
                      {"edited_at", m.edited_at},
                      {"deleted", m.deleted},
                      {"files", std::move(files)},
                      {"reactions", reactionsOf(m)},
                      {"thread_root", m.thread_root},
                      {"thread", m.thread_root == 0 ? threadOf(m.thread) : nullptr},
                      {"root_thread", m.thread_root != 0 ? threadOf(m.thread) : nullptr},
                      {"mentions", std::move(mentioned)},
                      {"mention_room", m.mention_room},
                      {"mention_here", m.mention_here},
                      {"settings", settingsOf(e)}};
}

namespace {

// As boost::json::serialize writes a string: quotes, backslash and control characters
// escaped (the short forms where JSON has one, else \u00XX), every other byte as is.
void appendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void appendEvent(std::string& out, const Event& e) {
  const StoredEvent& m = e.meta;
  out.append(R"({"room":)");
  appendInt(out, m.room_id);
  out.append(R"(,"seq":)");
  appendInt(out, m.seq);
  out.append(R"(,"id":)");
  appendString(out, m.event_id);
  out.append(R"(,"kind":)");
  appendString(out, toString(m.kind));
  out.append(R"(,"sender":)");
  appendInt(out, m.sender);
  out.append(R"(,"sender_name":)");
  appendString(out, e.sender_name);
  out.append(R"(,"client_msg_id":)");
  appendString(out, m.client_msg_id);
  out.append(R"(,"text":)");
  appendString(out, m.kind == EventKind::settings ? std::string_view() : e.text);
  out.append(R"(,"reply_to":)");
  appendInt(out, m.reply_to);
  out.append(R"(,"target":)");
  appendInt(out, m.target);
  out.append(R"(,"created_at":)");
  appendInt(out, m.created_at);
  out.append(R"(,"edited_at":)");
  appendInt(out, m.edited_at);
  out.append(m.deleted ? R"(,"deleted":true,"files":[)" : R"(,"deleted":false,"files":[)");
  // Files are few and rare: their objects go through json::serialize.
  for (std::size_t i = 0; i < e.files.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(json::serialize(file(e.files[i])));
  }
  // The aggregate is JSON the Store wrote from allow-listed emoji and integers
  // (reactionsJson); it is copied as is, as json::serialize would write it.
  out.append(R"(],"reactions":)");
  out.append(m.reactions.empty() ? std::string_view("[]") : std::string_view(m.reactions));
  // The summary is JSON the Store wrote from integers (threadJson), copied as is too.
  out.append(R"(,"thread_root":)");
  appendInt(out, m.thread_root);
  const std::string_view summary = m.thread.empty() ? std::string_view("null") : m.thread;
  out.append(R"(,"thread":)");
  out.append(m.thread_root == 0 ? summary : "null");
  out.append(R"(,"root_thread":)");
  out.append(m.thread_root != 0 ? summary : "null");
  out.append(R"(,"mentions":[)");
  for (std::size_t i = 0; i < m.mentions.size(); ++i) {
    if (i > 0) out.push_back(',');
    appendInt(out, m.mentions[i]);
  }
  out.append(m.mention_room ? R"(],"mention_room":true)" : R"(],"mention_room":false)");
  out.append(m.mention_here ? R"(,"mention_here":true)" : R"(,"mention_here":false)");
  // Rare: a settings event's object goes through json::serialize, as event() writes it.
  out.append(R"(,"settings":)");
  if (m.kind == EventKind::settings) {
    out.append(json::serialize(settingsOf(e)));
  } else {
    out.append("null");
  }
  out.push_back('}');
}

std::string eventsPage(const std::vector<Event>& events, bool has_more) {
  std::size_t size = 40;
  for (const Event& e : events) size += 220 + e.text.size() + e.meta.client_msg_id.size();
  std::string out;
  out.reserve(size);
  out.append(R"({"messages":[)");
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out.push_back(',');
    appendEvent(out, events[i]);
  }
  out.append(has_more ? R"(],"has_more":true})" : R"(],"has_more":false})");
  return out;
}

std::string threadPage(const Event& root, const std::vector<Event>& replies, bool has_more) {
  std::string out = R"({"root":)";
  appendEvent(out, root);
  out.append(R"(,"messages":[)");
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (i > 0) out.push_back(',');
    appendEvent(out, replies[i]);
  }
  out.append(has_more ? R"(],"has_more":true})" : R"(],"has_more":false})");
  return out;
}

std::string followedThreads(const std::vector<FollowedThread>& threads,
                            const std::vector<Event>& roots) {
  json::array list;
  for (std::size_t i = 0; i < threads.size() && i < roots.size(); ++i) {
    list.push_back(json::object{{"room", threads[i].root.room_id},
                                {"root", event(roots[i])},
                                {"unread", threads[i].unread},
                                {"last_read_seq", threads[i].last_read_seq}});
  }
  return json::serialize(json::object{{"threads", std::move(list)}});
}

}  // namespace parley::codec
