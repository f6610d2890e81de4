#include "api/commands.h"

#include <gtest/gtest.h>

#include "api/json_input.h"

namespace parley::api {
namespace {

Result<SendCommand> parse(std::string_view text) { return parseSend(parseObject(text, 8).value()); }

TEST(ParseSend, ReadsEveryField) {
  auto c = parse(R"({"client_msg_id":"c1","text":"hi","reply_to":4,"files":["f1","f2"]})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->client_msg_id, "c1");
  EXPECT_EQ(c->text, "hi");
  EXPECT_EQ(c->reply_to, 4);
  EXPECT_EQ(c->files, (std::vector<std::string>{"f1", "f2"}));
}

TEST(ParseSend, OptionalFieldsDefault) {
  auto c = parse(R"({"client_msg_id":"c1","text":null})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "");
  EXPECT_EQ(c->reply_to, 0);
  EXPECT_TRUE(c->files.empty());
}

TEST(ParseSend, NamesTheFirstBadFieldInOrder) {
  struct Case {
    std::string_view body, field;
  };
  for (auto [body, field] :
       {Case{R"({"text":"x"})", "client_msg_id"}, Case{R"({"client_msg_id":1})", "client_msg_id"},
        Case{R"({"client_msg_id":"c","text":1,"reply_to":"x"})", "text"},
        Case{R"({"client_msg_id":"c","reply_to":"x","files":1})", "reply_to"},
        Case{R"({"client_msg_id":"c","files":[1]})", "files"}}) {
    auto c = parse(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().code, Code::bad_request) << body;
    EXPECT_EQ(c.error().message.rfind(field, 0), 0u) << body << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace parley::api
