// What the Redis adapter tests share: the test Redis (PARLEY_TEST_REDIS_URL, started by
// scripts/test.sh through scripts/services.sh), a unique key prefix per adapter instance,
// and a raw connection to look at Redis directly.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "adapters/redis/connection.h"
#include "adapters/redis/redis_options.h"
#include "support/await.h"

namespace parley::redis::test {

// Empty, after failing the current test, when the variable is unset: these tests must run,
// not skip, so a CI run without Redis is red.
inline std::string redisUrl() {
  const char* url = std::getenv("PARLEY_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "PARLEY_TEST_REDIS_URL is not set. Run the Redis tests through "
                     "scripts/test.sh, or start Redis with: eval \"$(scripts/services.sh start)\"";
    return {};
  }
  return url;
}

// The test Redis Cluster's URL (PARLEY_TEST_REDIS_CLUSTER_URL, redis+cluster://seeds, started
// by scripts/services.sh); empty after failing the current test when unset.
inline std::string clusterUrl() {
  const char* url = std::getenv("PARLEY_TEST_REDIS_CLUSTER_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "PARLEY_TEST_REDIS_CLUSTER_URL is not set. Run the Redis tests through "
                     "scripts/test.sh, or start the services with: eval \"$(scripts/services.sh "
                     "start)\"";
    return {};
  }
  return url;
}

// Distinct per process and per call, so concurrent test runs sharing one Redis stay apart.
inline std::string uniquePrefix() {
  static std::atomic<int> counter{0};
  return "test:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":";
}

// Options for one adapter instance on the test Redis, with a fresh prefix and stats.
inline RedisOptions testOptions(bool cluster = false) {
  RedisOptions o;
  o.url = cluster ? clusterUrl() : redisUrl();
  o.key_prefix = uniquePrefix();
  o.client_name = o.key_prefix;  // unique too; CLIENT SETNAME takes no spaces
  for (char& c : o.client_name) c = c == ':' ? '-' : c;
  o.reconnect_min_ms = 10;
  o.reconnect_max_ms = 200;
  o.stats = std::make_shared<RedisStats>();
  return o;
}

// A URL on which nothing listens (a port just released by the kernel).
inline std::string closedPortUrl() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return "redis://127.0.0.1:" + std::to_string(port);
}

using ::parley::testing::await;

// Polls `done` until it holds or a generous deadline passes (for conditions set by another
// thread or by Redis's own clock).
inline bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

// A background io_context with one thread, and a raw connection on it.
class RedisEnv {
 public:
  RedisEnv() : runner_([this] { ioc_.run(); }) {}
  ~RedisEnv() {
    if (raw_) raw_->stop();
    work_.reset();
    runner_.join();
  }
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

  // One command on the raw connection; an error reply or failure fails the test.
  Reply command(Args args) {
    if (!raw_) {
      auto ep = parseRedisUrl(redisUrl());
      EXPECT_TRUE(ep);
      if (!ep) return {};
      raw_ = std::make_shared<Connection>(executor(), *ep, RedisOptions{}, "raw",
                                          Connection::Callbacks{});
      raw_->start();
    }
    auto got = await(raw_->request(std::move(args)));
    EXPECT_TRUE(got) << (got ? "" : got.error().message);
    if (!got) return {};
    EXPECT_FALSE(got->isError()) << got->str;
    return std::move(*got);
  }

  // Closes the connection Redis knows as "<client_name>:<role>" (CLIENT KILL ID).
  void killClient(const std::string& client_name, const std::string& role) {
    const std::string list = command({"CLIENT", "LIST"}).str;
    const std::string needle = " name=" + client_name + ":" + role + " ";
    int killed = 0;
    std::size_t line_start = 0;
    while (line_start < list.size()) {
      std::size_t line_end = list.find('\n', line_start);
      if (line_end == std::string::npos) line_end = list.size();
      const std::string line = list.substr(line_start, line_end - line_start) + " ";
      if (line.find(needle) != std::string::npos && line.rfind("id=", 0) == 0) {
        const std::string id = line.substr(3, line.find(' ') - 3);
        killed += static_cast<int>(command({"CLIENT", "KILL", "ID", id}).integer);
      }
      line_start = line_end + 1;
    }
    EXPECT_EQ(killed, 1) << "no single client named " << client_name << ":" << role;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::thread runner_;
  std::shared_ptr<Connection> raw_;
};

}  // namespace parley::redis::test
