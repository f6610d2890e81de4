#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/redis/codec.h"
#include "adapters/redis/connection.h"
#include "adapters/redis/redis_test_env.h"

namespace parley::redis {
namespace {

using test::await;

TEST(RedisUrl, ParsesHostPortDatabaseAndCredentials) {
  auto ep = parseRedisUrl("redis://user:secret@cache.internal:6380/3");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, "6380");
  EXPECT_EQ(ep->db, 3);
  EXPECT_EQ(ep->user, "user");
  EXPECT_EQ(ep->password, "secret");

  auto plain = parseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, "6379");
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());

  EXPECT_FALSE(parseRedisUrl("rediss://host"));
  EXPECT_FALSE(parseRedisUrl("redis://host/notanumber"));
  EXPECT_FALSE(parseRedisUrl("redis://"));
  EXPECT_FALSE(parseRedisUrl("not a url"));
}

TEST(RedisCodec, RejectsTruncatedOrForeignBytes) {
  StoredEvent e;
  e.seq = 3;
  e.sealed_body = "body";
  const std::string bytes = encodeEvent(e);
  ASSERT_TRUE(decodeEvent(bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decodeEvent(bytes.substr(0, n)));
  EXPECT_FALSE(decodeEvent(bytes + "x"));
  EXPECT_FALSE(decodeSession(bytes));
  EXPECT_FALSE(decodeEvent(encodeSession({})));
  EXPECT_EQ(hex(std::string("\x00\xff\x1a", 3)), "00ff1a");
}

TEST(RedisConnection, PipelinesRequestsAndKeepsTheirOrder) {
  ASSERT_FALSE(test::redisUrl().empty());
  test::RedisEnv env;
  const std::string key = test::uniquePrefix() + "counter";
  std::vector<Args> batch;
  for (int i = 0; i < 500; ++i) batch.push_back({"INCR", key});
  batch.push_back({"NOT-A-COMMAND"});
  batch.push_back({"SET", key + ":bin", std::string("a\0\r\nb", 5)});
  batch.push_back({"GET", key + ":bin"});

  auto ep = parseRedisUrl(test::redisUrl());
  ASSERT_TRUE(ep);
  auto conn = std::make_shared<Connection>(env.executor(), *ep, RedisOptions{}, "test",
                                           Connection::Callbacks{});
  conn->start();
  auto got = await(conn->requestAll(batch));
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), batch.size());
  for (int i = 0; i < 500; ++i) EXPECT_EQ((*got)[i].integer, i + 1);
  EXPECT_TRUE((*got)[500].isError());  // an error reply is a reply: the rest still match
  EXPECT_EQ((*got)[502].str, std::string("a\0\r\nb", 5));
  conn->stop();
}

TEST(RedisConnection, SelectsTheDatabaseOfTheUrl) {
  ASSERT_FALSE(test::redisUrl().empty());
  test::RedisEnv env;
  const std::string key = test::uniquePrefix() + "db";
  auto ep = parseRedisUrl(test::redisUrl() + "/2");
  ASSERT_TRUE(ep);
  auto conn = std::make_shared<Connection>(env.executor(), *ep, RedisOptions{}, "test",
                                           Connection::Callbacks{});
  conn->start();
  Args set = {"SET", key, "in db 2"};
  ASSERT_TRUE(await(conn->request(set)));
  EXPECT_TRUE(env.command({"GET", key}).isNil());  // the raw connection uses db 0
  Args del = {"DEL", key};
  EXPECT_EQ(await(conn->request(del))->integer, 1);
  conn->stop();
}

TEST(RedisConnection, FailsFastWithoutRedis) {
  test::RedisEnv env;
  auto ep = parseRedisUrl(test::closedPortUrl());
  ASSERT_TRUE(ep);
  RedisOptions opts;
  opts.reconnect_min_ms = 60'000;  // stays down after the first attempt
  auto conn =
      std::make_shared<Connection>(env.executor(), *ep, opts, "test", Connection::Callbacks{});
  conn->start();
  Args ping = {"PING"};
  auto first = await(conn->request(ping));  // waits for the first attempt, then fails
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Code::unavailable);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(await(conn->request(ping)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  conn->stop();
}

}  // namespace
}  // namespace parley::redis
