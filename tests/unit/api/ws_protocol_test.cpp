// The WebSocket protocol without a socket: hello, resume, each command, the phases, bad
// frames, on a real node's services (SQLite, in-process bus and cache).
#include "api/ws_protocol.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "support/test_node.h"

namespace parley::api {
namespace {

namespace json = boost::json;
using testing::TestNode;

// The connection, as the protocol sees it: records what it is asked to do.
class Recorder : public WsConnection {
 public:
  Task<bool> send(LiveFeed::Frames frames) override {
    if (close_code != 0) co_return false;
    std::size_t bytes = 0;
    for (auto& f : frames) bytes += f.frame().size();
    if (bytes > budget) {  // as the session does for a client too slow
      close(4008, false);
      co_return false;
    }
    budget -= bytes;
    for (auto& f : frames) sent.push_back(json::parse(f.frame()).as_object());
    co_return true;
  }
  void reply(std::string frame) override { replies.push_back(json::parse(frame).as_object()); }
  void close(int code, bool keep) override {
    if (close_code != 0) return;
    close_code = code;
    keep_output = keep;
    protocol->closing();
  }
  bool attach(const std::vector<RoomId>& rooms) override {
    attached = rooms;
    return true;
  }
  bool detach() override {
    detached = true;
    return true;
  }

  WsProtocol* protocol = nullptr;
  std::size_t budget = std::numeric_limits<std::size_t>::max();  // bytes send() takes
  std::vector<json::object> sent;                                // written as they are (hello)
  std::vector<json::object> replies;                             // queued replies (commands)
  int close_code = 0;
  bool keep_output = false;
  std::vector<RoomId> attached;
  bool detached = false;
};

std::string str(const json::object& f, const char* key) {
  const json::value* v = f.if_contains(key);
  return v ? json::serialize(*v) : "";
}
std::string typeOf(const json::object& f) { return std::string(f.at("type").as_string()); }

class WsProtocolTest : public ::testing::Test {
 protected:
  TestNode node;
  ApiContext ctx{
      node.accounts, node.rooms, node.messages, node.presence, node.hub, node.files, node.limits,
      EdgeLimits{},  {},         nullptr};
  User alice = node.user("alice");
  std::string token = login("alice");
  Room room = node.run(node.rooms.create(alice, "general", "", true)).value();
  Recorder conn;
  WsProtocol protocol{ctx, conn, "127.0.0.1", "", ""};

  void SetUp() override { conn.protocol = &protocol; }

  std::string login(const std::string& name) {
    return node.run(node.accounts.login(name, "password-" + name, "test", "127.0.0.1"))
        .value()
        .token;
  }
  void text(const std::string& t) { node.run(protocol.onText(t)); }
  void text(const json::object& o) { text(json::serialize(o)); }
  void hello(json::object extra = {}) {
    extra["type"] = "hello";
    extra["token"] = token;
    text(extra);
  }
  Seq post(const std::string& body) {
    return node.run(node.messages.send(alice, room.id, "c-" + body, body, 0))
        .value()
        .event.meta.seq;
  }
  json::object lastReply() {
    EXPECT_FALSE(conn.replies.empty());
    return conn.replies.empty() ? json::object{} : conn.replies.back();
  }
  std::vector<Seq> replayed() {
    std::vector<Seq> out;
    for (auto& f : conn.sent) {
      if (typeOf(f) == "event") out.push_back(f.at("event").at("seq").as_int64());
    }
    return out;
  }
};

TEST_F(WsProtocolTest, HelloGoesLiveWithReadyThenCaughtUp) {
  EXPECT_EQ(protocol.phase(), Phase::awaiting_hello);
  hello();
  EXPECT_EQ(protocol.phase(), Phase::live);
  EXPECT_EQ(protocol.auth().user.id, alice.id);
  ASSERT_EQ(conn.attached, std::vector<RoomId>{room.id});
  ASSERT_GE(conn.sent.size(), 3u);
  EXPECT_EQ(typeOf(conn.sent.front()), "ready");
  EXPECT_EQ(conn.sent.front().at("rooms").as_array().size(), 1u);
  EXPECT_EQ(typeOf(conn.sent[conn.sent.size() - 2]), "presence_snapshot");
  EXPECT_EQ(typeOf(conn.sent.back()), "caught_up");
  EXPECT_TRUE(replayed().empty());  // no resume: nothing is replayed
  EXPECT_EQ(conn.close_code, 0);
}

TEST_F(WsProtocolTest, HelloTakesTheUpgradesTokenWhenTheFrameHasNone) {
  WsProtocol p(ctx, conn, "127.0.0.1", "Bearer " + token, "");
  conn.protocol = &p;
  node.run(p.onText(R"({"type":"hello"})"));
  EXPECT_EQ(p.phase(), Phase::live);
}

TEST_F(WsProtocolTest, ResumeReplaysWhatWasMissedInOrder) {
  Seq first = post("one");
  post("two");
  Seq last = post("three");
  hello({{"resume", {{std::to_string(room.id), first - 1}}}});
  EXPECT_EQ(protocol.phase(), Phase::live);
  EXPECT_EQ(replayed(), (std::vector<Seq>{first, first + 1, last}));
}

TEST_F(WsProtocolTest, ResumeTooFarBackIsToldToResync) {
  node.limits.resume_max_events = 2;
  Seq first = post("one");
  post("two");
  Seq last = post("three");
  hello({{"resume", {{std::to_string(room.id), first - 1}}}});
  EXPECT_TRUE(replayed().empty());
  bool resync = false;
  for (auto& f : conn.sent) {
    if (typeOf(f) == "resync") resync = f.at("last_seq").as_int64() == last;
  }
  EXPECT_TRUE(resync);
}

TEST_F(WsProtocolTest, ReplayStopsWhenTheConnectionClosesForASlowReader) {
  Room other = node.run(node.rooms.create(alice, "other", "", true)).value();
  Seq first = post("one");
  for (int i = 0; i < 20; ++i) post("more " + std::to_string(i));
  conn.budget = 2000;  // ready fits, the replay of the first room does not
  hello({{"resume", {{std::to_string(room.id), first - 1}, {std::to_string(other.id), 0}}}});
  EXPECT_EQ(conn.close_code, 4008);
  EXPECT_EQ(protocol.phase(), Phase::closing);
  EXPECT_TRUE(replayed().empty());
  EXPECT_NE(typeOf(conn.sent.back()), "caught_up");
}

TEST_F(WsProtocolTest, BadHellosAreAnsweredThenClosedWith4001) {
  for (std::string bad : {"not json", R"({"type":"send","room":1})", R"([1])",
                          R"({"type":"hello","token":"nope"})", R"({"type":"hello"})"}) {
    Recorder r;
    WsProtocol p(ctx, r, "127.0.0.1", "", "");
    r.protocol = &p;
    node.run(p.onText(bad));
    EXPECT_EQ(p.phase(), Phase::closing) << bad;
    EXPECT_EQ(r.close_code, 4001) << bad;
    EXPECT_TRUE(r.keep_output) << bad;  // the error goes out before the close
    ASSERT_EQ(r.sent.size(), 1u) << bad;
    EXPECT_EQ(typeOf(r.sent[0]), "error") << bad;
    EXPECT_EQ(str(r.sent[0], "code"), "\"unauthorized\"") << bad;
    EXPECT_TRUE(r.attached.empty()) << bad;
  }
}

TEST_F(WsProtocolTest, SendAcksWithTheClientMsgIdAndDuplicates) {
  hello();
  text(R"({"type":"send","req":7,"room":)" + std::to_string(room.id) +
       R"(,"client_msg_id":"m1","text":"hi"})");
  json::object ack = lastReply();
  EXPECT_EQ(typeOf(ack), "ack");
  EXPECT_EQ(str(ack, "req"), "7");
  EXPECT_EQ(str(ack, "client_msg_id"), "\"m1\"");
  EXPECT_EQ(str(ack, "duplicate"), "false");
  Seq seq = ack.at("seq").as_int64();
  text(R"({"type":"send","room":)" + std::to_string(room.id) +
       R"(,"client_msg_id":"m1","text":"hi"})");
  EXPECT_EQ(str(lastReply(), "duplicate"), "true");
  EXPECT_EQ(str(lastReply(), "seq"), std::to_string(seq));
}

TEST_F(WsProtocolTest, EditDeleteAndReadAck) {
  hello();
  Seq seq = post("original");
  const std::string r = std::to_string(room.id), s = std::to_string(seq);
  text(R"({"type":"edit","req":"e","room":)" + r + R"(,"seq":)" + s + R"(,"text":"changed"})");
  EXPECT_EQ(typeOf(lastReply()), "ack");
  EXPECT_EQ(str(lastReply(), "req"), "\"e\"");
  text(R"({"type":"read","room":)" + r + R"(,"seq":)" + s + "}");
  EXPECT_EQ(typeOf(lastReply()), "ack");
  EXPECT_EQ(str(lastReply(), "seq"), std::to_string(seq));
  text(R"({"type":"delete","room":)" + r + R"(,"seq":)" + s + "}");
  EXPECT_EQ(typeOf(lastReply()), "ack");
}

TEST_F(WsProtocolTest, TypingHasNoReplyAndPingIsAnswered) {
  hello();
  text(R"({"type":"typing","room":)" + std::to_string(room.id) + "}");
  EXPECT_TRUE(conn.replies.empty());
  text(R"({"type":"ping","req":3})");
  EXPECT_EQ(typeOf(lastReply()), "pong");
  EXPECT_EQ(str(lastReply(), "req"), "3");
}

TEST_F(WsProtocolTest, BadFramesGetAnErrorAndChangeNothing) {
  hello();
  auto lastSeq = [&] { return node.run(node.rooms.roomsOf(alice.id)).value().at(0).room.last_seq; };
  const Seq before = lastSeq();
  const std::string r = std::to_string(room.id);
  struct Case {
    std::string frame;
    std::string code;
  };
  for (const Case& c : std::vector<Case>{
           {"not json", "bad_request"},
           {R"({"req":1})", "bad_request"},
           {R"({"type":"send","client_msg_id":"x","text":"t"})", "bad_request"},
           {R"({"type":"send","room":)" + r + R"(,"text":"t"})", "bad_request"},
           {R"({"type":"send","room":)" + r + R"(,"client_msg_id":"x","text":5})", "bad_request"},
           {R"({"type":"edit","room":)" + r + R"(,"seq":1})", "bad_request"},
           {R"({"type":"read","room":)" + r + "}", "bad_request"},
           {R"({"type":"nope","room":)" + r + R"(,"seq":1})", "bad_request"},
           {R"({"type":"send","room":999999,"client_msg_id":"x","text":"t"})", "not_found"},
       }) {
    conn.replies.clear();
    text(c.frame);
    ASSERT_EQ(conn.replies.size(), 1u) << c.frame;
    EXPECT_EQ(typeOf(conn.replies[0]), "error") << c.frame;
    EXPECT_EQ(str(conn.replies[0], "code"), "\"" + c.code + "\"") << c.frame;
  }
  EXPECT_EQ(protocol.phase(), Phase::live);
  EXPECT_EQ(conn.close_code, 0);
  EXPECT_EQ(lastSeq(), before);
}

TEST_F(WsProtocolTest, BinaryFramesAreRefusedInAnyPhaseBeforeClosing) {
  protocol.onBinary();
  EXPECT_EQ(typeOf(lastReply()), "error");
  EXPECT_EQ(protocol.phase(), Phase::awaiting_hello);  // hello may still come
  hello();
  EXPECT_EQ(protocol.phase(), Phase::live);
  protocol.closing();
  conn.replies.clear();
  protocol.onBinary();
  EXPECT_TRUE(conn.replies.empty());
}

TEST_F(WsProtocolTest, ClosingDropsMessagesAndLeaveDetaches) {
  hello();
  protocol.closing();
  EXPECT_EQ(protocol.phase(), Phase::closing);
  text(R"({"type":"ping"})");
  EXPECT_TRUE(conn.replies.empty());
  protocol.closed();
  EXPECT_EQ(protocol.phase(), Phase::closed);
  protocol.closing();  // closed is final
  EXPECT_EQ(protocol.phase(), Phase::closed);
  node.run(protocol.leave());
  EXPECT_TRUE(conn.detached);
}

TEST_F(WsProtocolTest, NothingIsHandledOnceTheSocketIsGone) {
  protocol.closed();
  text(R"({"type":"hello","token":")" + token + R"("})");
  EXPECT_EQ(protocol.phase(), Phase::closed);
  node.run(protocol.leave());
  EXPECT_FALSE(conn.detached);
}

}  // namespace
}  // namespace parley::api
