#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <thread>
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

// v4 entries carry the mentions; a v3 entry (written before them) reads as mentioning none.
TEST(RedisCodec, KeepsMentions) {
  StoredEvent e;
  e.seq = 4;
  e.sealed_body = "body";
  e.thread = "t";
  e.mentions = {3, 12};
  e.mention_here = true;
  auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->mentions, (std::vector<UserId>{3, 12}));
  EXPECT_FALSE(back->mention_room);
  EXPECT_TRUE(back->mention_here);
  EXPECT_EQ(back->thread, "t");
  std::string v3 = encodeEvent(StoredEvent{.seq = 4, .sealed_body = "body", .thread = "t"});
  v3.resize(v3.size() - 5);  // without the empty mention list and the flags
  v3[0] = 'G';
  back = decodeEvent(v3);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 4);
  EXPECT_TRUE(back->mentions.empty());
  std::string bad_flags = encodeEvent(e);
  bad_flags.back() = 4;
  EXPECT_FALSE(decodeEvent(bad_flags));
}

// v5 entries admit the settings kind; a v4 entry (same layout) is read as before, and one
// claiming a kind v4 never had is refused rather than guessed at.
TEST(RedisCodec, SettingsKindNeedsV5) {
  StoredEvent e{.seq = 9, .kind = EventKind::settings, .sealed_body = "sealed"};
  std::string v5 = encodeEvent(e);
  EXPECT_EQ(v5[0], 'I');
  auto back = decodeEvent(v5);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, EventKind::settings);
  EXPECT_EQ(back->sealed_body, "sealed");
  std::string v4 = encodeEvent(StoredEvent{.seq = 9, .kind = EventKind::pin});
  v4[0] = 'H';
  back = decodeEvent(v4);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, EventKind::pin);
  v5[0] = 'H';
  EXPECT_FALSE(decodeEvent(v5));
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

// A hung Redis: it completes TCP connections (as a stopped process's listen backlog, or a
// proxy, does) and never answers a byte. Such a connection is not up: the request queued
// during the first attempt fails with the attempt ("not connected") instead of being
// written on a dead socket and waiting out its request timeout, and on_up is never called.
class HungRedis {
 public:
  HungRedis() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        auto s = std::make_unique<boost::asio::ip::tcp::socket>(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(*s, ec);
        if (ec || stopping_.load()) return;
        accepted_.fetch_add(1);
        held_.push_back(std::move(s));  // held open, never read, never answered
      }
    });
  }
  ~HungRedis() {
    stopping_.store(true);
    boost::asio::io_context ioc;  // one last connection wakes the blocking accept
    boost::asio::ip::tcp::socket wake(ioc);
    boost::system::error_code ignored;
    wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int accepted() const { return accepted_.load(); }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> held_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

TEST(RedisConnection, ARedisThatAcceptsButNeverAnswersIsNotUp) {
  test::RedisEnv env;
  HungRedis hung;
  auto ep = parseRedisUrl(hung.url());
  ASSERT_TRUE(ep);
  RedisOptions opts;
  opts.connect_timeout_ms = 200;     // the handshake's deadline
  opts.request_timeout_ms = 30'000;  // what a request written on the dead socket would wait
  opts.reconnect_min_ms = 60'000;    // stays down after the first attempt
  opts.stats = std::make_shared<RedisStats>();
  auto went_up = std::make_shared<std::atomic<bool>>(false);
  Connection::Callbacks callbacks;
  callbacks.on_up = [went_up](Connection&, bool) { went_up->store(true); };
  auto conn = std::make_shared<Connection>(env.executor(), *ep, opts, "test", callbacks);
  conn->start();
  Args ping = {"PING"};
  auto first = await(conn->request(ping));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Code::unavailable);
  EXPECT_EQ(first.error().message, "redis: not connected");  // not "request timed out"
  EXPECT_GE(hung.accepted(), 1);  // TCP connected: only the missing answer kept it down
  EXPECT_FALSE(went_up->load());
  EXPECT_EQ(opts.stats->connections_up.load(), 0);
  auto second = await(conn->request(ping));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "redis: not connected");
  conn->stop();
}

}  // namespace
}  // namespace parley::redis
