// The frame catalogue against docs/protocol.md: every frame the server can send is
// documented, with the same top-level fields, and every documented frame is in the
// catalogue. Then the typed envelope: each named constructor survives the bus's header.
#include "service/frames.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "service/envelope.h"

namespace parley {
namespace {

namespace json = boost::json;
using Keys = std::set<std::string>;

// The top-level keys of a documented example, which is JSON with `…`, `R` and `\|` in it:
// a key is a quoted word followed by ':' at brace depth 1.
Keys topLevelKeys(const std::string& example) {
  Keys keys;
  int depth = 0;
  for (std::size_t i = 0; i < example.size(); ++i) {
    const char c = example[i];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (c != '"' || depth != 1) continue;
    const std::size_t end = example.find('"', i + 1);
    if (end == std::string::npos) break;
    std::size_t after = example.find_first_not_of(' ', end + 1);
    if (after != std::string::npos && example[after] == ':') {
      keys.insert(example.substr(i + 1, end - i - 1));
    }
    i = end;
  }
  return keys;
}

// type → the union of the keys of its examples, over every frame the server sends. The
// client's commands (the first cell of each row under "Client → server", and hello) are
// left out: "read" and "typing" name a command and a frame.
std::map<std::string, Keys> documentedFrames() {
  std::ifstream in(PARLEY_DOCS_PROTOCOL_MD);
  EXPECT_TRUE(in) << PARLEY_DOCS_PROTOCOL_MD;
  const std::regex span(R"re(`(\{"type": ?"([a-z_]+)"[^`]*\})`)re");
  std::map<std::string, Keys> out;
  std::string section, line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) section = line;
    bool first = true;
    for (std::sregex_iterator it(line.begin(), line.end(), span), end; it != end; ++it) {
      const bool command =
          first && line.rfind("| ", 0) == 0 && section.find("Client") != std::string::npos;
      first = false;
      if (command || (*it)[2] == "hello") continue;
      Keys keys = topLevelKeys((*it)[1]);
      out[(*it)[2]].insert(keys.begin(), keys.end());
    }
  }
  return out;
}

// Every frame of the catalogue, with each optional field present in one of its variants.
std::vector<std::string> catalogue() {
  User me{.id = 1, .username = "alice"};
  RoomSummary summary;
  summary.room.id = 7;
  summary.room.last_seq = 45;
  Room room;
  room.id = 7;
  Event e;
  e.meta.room_id = 7;
  e.meta.seq = 43;
  const json::value req = "r1";
  Error limited{Code::rate_limited, "slow down"};
  limited.retry_after_s = 2;
  json::array online{json::object{{"id", 2}, {"username", "bob"}}};
  return {
      frames::ready(me, 3, {summary}),
      frames::caughtUp(),
      frames::ack(&req, 7, 44),
      frames::ack(nullptr, 7, 44),
      frames::sendAck(&req, 7, 43, "c-1", false),
      frames::pong(&req),
      frames::error(limited, &req),
      frames::error(Error{Code::not_member, "no"}, nullptr),
      frames::event(e),
      frames::memberJoined(7, 2, "bob", Role::member),
      frames::memberRole(7, 2, "bob", Role::admin),
      frames::memberGone(7, 2, "bob", "left"),
      frames::roomAdded(room, Role::owner, &me),
      frames::roomRemoved(7),
      frames::roomDeleted(7),
      frames::read(7, 1, 45),
      frames::typing(7, 1, "alice"),
      frames::presenceSnapshot(online),
      frames::presence(2, "bob", true),
      frames::profile(Profile{.user_id = 2, .username = "bob", .display_name = "Bob"}),
      frames::resync(7, 5000),
      frames::securityAlert(Session{.id = 9, .user_id = 1, .device = "phone", .ip = "192.0.2.7"},
                            70, {"failures_before", "new_device_and_network"})};
}

TEST(FramesTest, EveryFrameIsDocumentedWithTheSameFields) {
  const auto documented = documentedFrames();
  ASSERT_GE(documented.size(), 14u);
  // Fields the document names in prose rather than in the example.
  const std::map<std::string, Keys> in_prose{{"error", {"retry_after"}}};
  std::map<std::string, Keys> built;
  for (const std::string& text : catalogue()) {
    const json::object frame = json::parse(text).as_object();
    const std::string type(frame.at("type").as_string());
    for (auto& kv : frame) built[type].insert(std::string(kv.key()));
  }
  for (auto& [type, keys] : built) {
    ASSERT_TRUE(documented.count(type)) << type << " is not in docs/protocol.md";
    Keys want = documented.at(type);
    if (auto p = in_prose.find(type); p != in_prose.end()) {
      want.insert(p->second.begin(), p->second.end());
    }
    EXPECT_EQ(keys, want) << type;
  }
  for (auto& [type, keys] : documented) {
    EXPECT_TRUE(built.count(type)) << type << " is documented but not in the catalogue";
  }
}

TEST(FramesTest, ReqIsEchoedOnlyWhenGiven) {
  const json::value req = json::parse(R"({"n":[1,2]})");
  EXPECT_EQ(frames::pong(nullptr), R"({"type":"pong"})");
  EXPECT_EQ(frames::pong(&req), R"({"type":"pong","req":{"n":[1,2]}})");
  EXPECT_EQ(frames::ack(&req, 7, 9), R"({"type":"ack","room":7,"seq":9,"req":{"n":[1,2]}})");
  EXPECT_EQ(frames::sendAck(nullptr, 7, 9, "c\"1", true),
            R"({"type":"ack","room":7,"seq":9,"client_msg_id":"c\"1","duplicate":true})");
}

TEST(FramesTest, ErrorsCarryRetryAfterOnlyWhenRateLimited) {
  Error limited{Code::rate_limited, "slow"};
  limited.retry_after_s = 0;  // never tells a client to retry at once
  EXPECT_EQ(frames::error(limited, nullptr),
            R"({"type":"error","code":"rate_limited","message":"slow","retry_after":1})");
  EXPECT_EQ(frames::error(Error{Code::forbidden, "m"}, nullptr),
            R"({"type":"error","code":"forbidden","message":"m"})");
}

TEST(EnvelopeTest, EachKindKeepsItsOwnFieldAcrossTheBus) {
  auto through = [](const Envelope& env) {
    return decodeEnvelope(encodeEnvelope(env, "{}")).value().env;
  };
  const Envelope ev = through(Envelope::event(7, 42, 3));
  EXPECT_EQ(ev.kind, FrameKind::event);
  EXPECT_EQ(ev.room, 7);
  EXPECT_EQ(ev.seq, 42);
  EXPECT_EQ(ev.user, 3);
  const Envelope on = through(Envelope::presence(5, true));
  EXPECT_TRUE(on.online);
  EXPECT_EQ(on.user, 5);
  EXPECT_EQ(on.seq, 0);
  EXPECT_FALSE(through(Envelope::presence(5, false)).online);
  const Envelope revoke = through(Envelope::revoke(5, 11));
  EXPECT_EQ(revoke.session, 11);
  EXPECT_EQ(revoke.seq, 0);
  EXPECT_EQ(through(Envelope::revoke(5, 0)).session, 0);  // every session
  const Envelope added = through(Envelope::roomAdded(7, 45, 5));
  EXPECT_EQ(added.seq, 45);
  EXPECT_EQ(added.session, 0);
  EXPECT_EQ(through(Envelope::read(7, 5, 30)).seq, 30);
  for (const Envelope& e : {Envelope::member(7, 5), Envelope::memberGone(7, 5),
                            Envelope::typing(7, 5), Envelope::roomRemoved(7, 5)}) {
    const Envelope back = through(e);
    EXPECT_EQ(back.kind, e.kind);
    EXPECT_EQ(back.room, 7);
    EXPECT_EQ(back.user, 5);
    EXPECT_EQ(back.seq, 0);
  }
}

}  // namespace
}  // namespace parley
