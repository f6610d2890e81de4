// The hand-written event writer must produce exactly what boost::json produces for the
// same object (the documented shape), for any bytes in any string field.
#include "service/codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <random>

#include "service/frames.h"

namespace parley {
namespace {

Event sample(std::string text, std::string name, std::string cmid) {
  Event e;
  e.meta.room_id = 42;
  e.meta.seq = 9'007'199'254'740'993;  // beyond a double's exact range
  e.meta.event_id = "ev_0123456789abcdef";
  e.meta.kind = EventKind::message;
  e.meta.sender = -7;
  e.meta.client_msg_id = std::move(cmid);
  e.meta.reply_to = 3;
  e.meta.target = 0;
  e.meta.created_at = 1'764'000'000'123;
  e.meta.edited_at = 0;
  e.meta.deleted = false;
  e.text = std::move(text);
  e.sender_name = std::move(name);
  return e;
}

std::string viaObject(const Event& e) { return boost::json::serialize(codec::event(e)); }

std::string direct(const Event& e) {
  std::string out;
  codec::appendEvent(out, e);
  return out;
}

TEST(CodecTest, EventMatchesBoostJsonForEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  Event e = sample(all, "a\"b\\c\n", std::string("x\0y", 3));
  EXPECT_EQ(direct(e), viaObject(e));
  e.meta.kind = EventKind::del;
  e.meta.deleted = true;
  e.text.clear();
  EXPECT_EQ(direct(e), viaObject(e));
}

// A settings event carries its opened body as `settings` (text stays empty), in both writers.
TEST(CodecTest, SettingsEventCarriesTheSettingsObject) {
  Event e = sample(R"({"name":"ops \"room\"","changed":["name"]})", "alice", "");
  e.meta.kind = EventKind::settings;
  EXPECT_EQ(direct(e), viaObject(e));
  auto v = boost::json::parse(direct(e)).as_object();
  EXPECT_EQ(v["text"].as_string(), "");
  EXPECT_EQ(v["settings"].as_object()["name"].as_string(), "ops \"room\"");
  e.meta.kind = EventKind::message;
  EXPECT_TRUE(boost::json::parse(direct(e)).as_object()["settings"].is_null());
  EXPECT_EQ(direct(e), viaObject(e));
}

// The Store's aggregate is copied as is by appendEvent and parsed by codec::event: the
// two agree byte for byte on what reactionsJson writes.
TEST(CodecTest, ReactionsAreTheStoresAggregate) {
  Event e = sample("hi", "alice", "m1");
  EXPECT_NE(direct(e).find(R"("reactions":[])"), std::string::npos);
  e.meta.reactions = reactionsJson({{"👍", 2, {4, 7}}, {"🎉", 1, {9}}});
  EXPECT_EQ(e.meta.reactions,
            R"([{"emoji":"👍","count":2,"users":[4,7]},{"emoji":"🎉","count":1,"users":[9]}])");
  EXPECT_EQ(direct(e), viaObject(e));
  EXPECT_NE(direct(e).find(R"("reactions":[{"emoji":"👍")"), std::string::npos);
  EXPECT_EQ(reactionsJson({}), "");
}

// A thread summary is copied as is by appendEvent and parsed by codec::event: `thread` on a
// root, `root_thread` on a reply or a delete of one, null elsewhere.
TEST(CodecTest, ThreadSummariesAreTheStores) {
  Event e = sample("root", "alice", "m1");
  EXPECT_NE(direct(e).find(R"("thread_root":0,"thread":null,"root_thread":null,"mentions":[])"),
            std::string::npos);
  e.meta.thread = threadJson({3, 1'764'000'000'999, {4, 9}});
  EXPECT_EQ(e.meta.thread,
            R"({"reply_count":3,"last_reply_at":1764000000999,"participants":[4,9]})");
  EXPECT_EQ(direct(e), viaObject(e));
  EXPECT_NE(direct(e).find(R"("thread":{"reply_count":3,)"), std::string::npos);
  e.meta.thread_root = 5;
  EXPECT_EQ(direct(e), viaObject(e));
  EXPECT_NE(direct(e).find(R"("thread_root":5,"thread":null,"root_thread":{"reply_count":3,)"),
            std::string::npos);
  e.meta.thread.clear();
  EXPECT_EQ(direct(e), viaObject(e));
  EXPECT_EQ(threadJson({}), "");
  std::vector<Event> replies{e, e};
  const std::string page = codec::threadPage(sample("r", "bob", "m2"), replies, true);
  EXPECT_EQ(boost::json::serialize(boost::json::parse(page)), page);
  EXPECT_EQ(page.rfind(R"(],"has_more":true})"), page.size() - 18);
}

// Mentions: the ids the Store resolved, and the two flags, on every event.
TEST(CodecTest, MentionsAreListedWithTheirFlags) {
  Event e = sample("hi @bob", "alice", "m1");
  EXPECT_NE(direct(e).find(R"("mentions":[],"mention_room":false,"mention_here":false,)"),
            std::string::npos);
  EXPECT_EQ(direct(e), viaObject(e));
  e.meta.mentions = {4, 9'007'199'254'740'993};
  e.meta.mention_room = true;
  EXPECT_EQ(direct(e), viaObject(e));
  EXPECT_NE(direct(e).find(
                R"("mentions":[4,9007199254740993],"mention_room":true,"mention_here":false,)"),
            std::string::npos);
  e.meta.mention_here = true;
  EXPECT_EQ(direct(e), viaObject(e));
}

TEST(CodecTest, EventMatchesBoostJsonForRandomText) {
  std::mt19937 rng(6);
  for (int i = 0; i < 500; ++i) {
    std::string text(rng() % 300, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    Event e = sample(text, "alice", "m" + std::to_string(i));
    e.meta.edited_at = static_cast<Millis>(rng());
    ASSERT_EQ(direct(e), viaObject(e)) << i;
  }
}

TEST(CodecTest, EventWithFilesMatchesBoostJson) {
  Event e = sample("see attached", "alice", "f1");
  FileView a;
  a.record = FileRecord{.id = "Xc8AAAAAAAAAAAAAAAAAAA",
                        .room_id = 42,
                        .uploader = 7,
                        .size = 12345,
                        .mime = "image/png",
                        .image_width = 800,
                        .image_height = 600,
                        .thumb_size = 99,
                        .created_at = 1'764'000'000'000};
  a.name = "cat \"1\".png";
  FileView b = a;
  b.record.id = "Yd9BBBBBBBBBBBBBBBBBBB";
  b.record.image_width = 0;
  b.record.thumb_size = 0;
  b.name = "notes.txt";
  e.files = {a, b};
  EXPECT_EQ(direct(e), viaObject(e));
  const boost::json::object as_object = codec::event(e);
  auto parsed = codec::filesFrom(&as_object.at("files"));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, a.name);
  EXPECT_EQ((*parsed)[0].record.image_height, 600);
  EXPECT_GT((*parsed)[0].record.thumb_size, 0u);
  EXPECT_EQ((*parsed)[1].record.thumb_size, 0u);
}

TEST(CodecTest, FramesAndPagesWrapTheEvents) {
  Event a = sample("hello", "alice", "1");
  Event b = sample("w\u00f6rld \U0001F600", "bob", "2");
  EXPECT_EQ(frames::event(a), boost::json::serialize(boost::json::object{
                                  {"type", "event"}, {"event", codec::event(a)}}));
  boost::json::array arr{codec::event(a), codec::event(b)};
  EXPECT_EQ(codec::eventsPage({a, b}, true),
            boost::json::serialize(boost::json::object{{"messages", arr}, {"has_more", true}}));
  EXPECT_EQ(codec::eventsPage({}, false), R"({"messages":[],"has_more":false})");
}

}  // namespace
}  // namespace parley
