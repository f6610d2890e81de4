// The Redis adapters on a real Redis Cluster (PARLEY_TEST_REDIS_CLUSTER_URL: 3 masters and 3
// replicas started by scripts/services.sh): the slot function, the cluster URL and the slot
// map. The Bus and Cache contract suites run on the cluster from redis_bus_test.cpp and
// redis_cache_test.cpp (gtest wants each parameterised suite instantiated in one file);
// slot migrations are in redis_cluster_migration_test.cpp.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/cache_scripts.h"
#include "adapters/redis/cluster_client.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/redis_test_env.h"

namespace parley::redis {
namespace {

TEST(ClusterSlot, MatchesRedisForKnownKeys) {
  // Values from CLUSTER KEYSLOT on Redis 7.0.
  EXPECT_EQ(keySlot("123456789"), 12739);  // CRC16/XMODEM check value 0x31C3
  EXPECT_EQ(keySlot("foo"), 12182);
  EXPECT_EQ(keySlot("bar"), 5061);
  EXPECT_EQ(keySlot("user1000"), 3443);
  EXPECT_EQ(keySlot("{user1000}.following"), 3443);  // the tag alone is hashed
  EXPECT_EQ(keySlot("foo{bar}{zap}"), 5061);         // the first tag counts
  EXPECT_EQ(keySlot("foo{}{bar}"), 8363);            // an empty tag: the whole key
  EXPECT_EQ(keySlot("foo{{bar}}zap"), 4015);         // tag "{bar"
  EXPECT_EQ(keySlot("{}foo"), 9500);
  EXPECT_EQ(keySlot("a{b}"), 3300);
  EXPECT_EQ(keySlot(""), 0);
}

TEST(ClusterSlot, CallersTextNeverFormsAHashTag) {
  EXPECT_EQ(withoutHashTag("login:ip:1.2.3.4"), "login:ip:1.2.3.4");
  EXPECT_EQ(withoutHashTag("{x}"), "%7Bx%7D");
  EXPECT_EQ(withoutHashTag("%7Bx%7D"), "%257Bx%257D");  // injective: no two inputs meet
  EXPECT_EQ(keySlot("p:rl:" + withoutHashTag("{bar}")), keySlot("p:rl:%7Bbar%7D"));
  EXPECT_NE(keySlot("p:rl:" + withoutHashTag("{bar}")), keySlot("bar"));
}

TEST(ClusterUrl, ParsesSeedsAndCredentials) {
  auto seeds = parseClusterUrl("redis+cluster://u:p%40ss@127.0.0.1:7000,localhost:7001,[::1]:7002");
  ASSERT_TRUE(seeds) << seeds.error().message;
  ASSERT_EQ(seeds->size(), 3u);
  EXPECT_EQ((*seeds)[0].host, "127.0.0.1");
  EXPECT_EQ((*seeds)[0].port, "7000");
  EXPECT_EQ((*seeds)[1].host, "localhost");
  EXPECT_EQ((*seeds)[2].host, "::1");
  for (const auto& s : *seeds) {
    EXPECT_EQ(s.user, "u");
    EXPECT_EQ(s.password, "p@ss");
  }
}

TEST(ClusterUrl, RejectsEverythingElse) {
  for (const char* bad :
       {"redis://127.0.0.1:7000", "redis+cluster://", "redis+cluster://127.0.0.1",
        "redis+cluster://127.0.0.1:0", "redis+cluster://127.0.0.1:65536",
        "redis+cluster://127.0.0.1:70x", "redis+cluster://127.0.0.1:7000,",
        "redis+cluster://127.0.0.1:7000,,127.0.0.1:7001", "redis+cluster://127.0.0.1:7000/1",
        "redis+cluster://127.0.0.1:7000?x=1", "redis+cluster://127.0.0.1:7000#f",
        "redis+cluster://ho st:7000", "redis+cluster://[::1:7000", "redis+cluster://[zz]:7000",
        "redis+cluster://:7000", "redis+cluster://a%2Fb:7000"}) {
    EXPECT_FALSE(parseClusterUrl(bad)) << bad;
  }
  std::string many = "redis+cluster://";
  for (int i = 0; i < 65; ++i) many += (i ? ",h:" : "h:") + std::to_string(7000 + i);
  EXPECT_FALSE(parseClusterUrl(many));
}

TEST(ClusterSlots, ParsesTheMapAndFillsAMissingIp) {
  auto node = [](std::string ip, long long port) {
    Reply n{Reply::Type::array};
    n.elements.push_back({Reply::Type::string, std::move(ip)});
    n.elements.push_back({Reply::Type::integer, "", port});
    n.elements.push_back({Reply::Type::string, "id"});
    return n;
  };
  auto range = [&](long long a, long long b, std::string ip, long long port) {
    Reply r{Reply::Type::array};
    r.elements.push_back({Reply::Type::integer, "", a});
    r.elements.push_back({Reply::Type::integer, "", b});
    r.elements.push_back(node(std::move(ip), port));
    r.elements.push_back(node("10.0.0.9", port + 1));
    return r;
  };
  Reply all{Reply::Type::array};
  all.elements.push_back(range(0, 8191, "10.0.0.1", 7000));
  all.elements.push_back(range(8192, 16383, "", 7002));
  auto map = parseClusterSlots(all, "10.0.0.2");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->masters, (std::vector<std::string>{"10.0.0.1:7000", "10.0.0.2:7002"}));
  EXPECT_EQ(map->owner[0], 0);
  EXPECT_EQ(map->owner[16383], 1);
  EXPECT_TRUE(map->announced.contains("10.0.0.9:7001"));
  all.elements.push_back(range(16000, 16384, "10.0.0.3", 1));  // past the last slot
  EXPECT_FALSE(parseClusterSlots(all, "h"));
}

TEST(ClusterAddress, RoundTrips) {
  EXPECT_EQ(addressOf("::1", "7000"), "[::1]:7000");
  auto ep = endpointOf("[::1]:7000");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_FALSE(endpointOf("10.0.0.1"));
  EXPECT_FALSE(endpointOf("10.0.0.1:99999"));
}

// Every script touches only KEYS[1] (one slot, so never CROSSSLOT on a cluster); a script
// that reached for a second key would have to share the first key's hash tag.
TEST(ClusterScripts, EveryScriptTouchesOneKey) {
  const std::regex key_ref(R"(KEYS\[(\d+)\])");
  for (const char* source : {scripts::kAppend, scripts::kRead, scripts::kReplace, scripts::kFill,
                             scripts::kRateHit, scripts::kCharge, scripts::kLease}) {
    const std::string text = source;
    int refs = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), key_ref), end; it != end; ++it) {
      EXPECT_EQ((*it)[1].str(), "1") << text;
      ++refs;
    }
    EXPECT_GT(refs, 0) << text;
    EXPECT_EQ(text.find("redis.call('KEYS'"), std::string::npos) << text;
  }
}

// A lying cluster node on loopback: it announces itself as the owner of every slot, then
// answers every other command with MOVED to `moved_to`, a node it never announced.
class LyingNode {
 public:
  explicit LyingNode(std::string moved_to)
      : moved_to_(std::move(moved_to)),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { serve(); }) {}
  ~LyingNode() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (socket_) socket_->close(ignored);
    thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  int movedSent() const { return moved_.load(); }

 private:
  void serve() {
    boost::system::error_code ec;
    socket_ = std::make_unique<boost::asio::ip::tcp::socket>(ioc_);
    acceptor_.accept(*socket_, ec);
    if (ec) return;
    redisReader* reader = redisReaderCreate();
    char buf[4096];
    for (;;) {
      const std::size_t n = socket_->read_some(boost::asio::buffer(buf), ec);
      if (ec || redisReaderFeed(reader, buf, n) != REDIS_OK) break;
      void* raw = nullptr;
      while (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
        auto* cmd = static_cast<redisReply*>(raw);
        const std::string verb = cmd->elements > 0 ? cmd->element[0]->str : "";
        freeReplyObject(raw);
        boost::asio::write(*socket_, boost::asio::buffer(answer(verb)), ec);
      }
    }
    redisReaderFree(reader);
  }
  std::string answer(const std::string& verb) {
    if (verb == "AUTH") return "+OK\r\n";
    if (verb == "PING") return "+PONG\r\n";  // the connection handshake
    if (verb == "CLUSTER") {
      const std::string p = port();
      return "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:" + p + "\r\n$2\r\nid\r\n";
    }
    ++moved_;
    return "-MOVED 1 " + moved_to_ + "\r\n";
  }

  const std::string moved_to_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
  std::atomic<int> moved_{0};
  std::thread thread_;
};

// The attacker is a cluster node (or whoever forges its replies): a MOVED to an address the
// cluster never announced is not followed, so no key, value or password goes there.
TEST(ClusterClientAttack, ARedirectToAnUnannouncedNodeIsRefused) {
  boost::asio::io_context trap_ioc;
  boost::asio::ip::tcp::acceptor trap(trap_ioc, {boost::asio::ip::make_address("127.0.0.2"), 0});
  trap.non_blocking(true);
  const std::string trap_address = "127.0.0.2:" + std::to_string(trap.local_endpoint().port());
  LyingNode liar(trap_address);
  test::RedisEnv env;
  Endpoint seed;
  seed.host = "127.0.0.1";
  seed.port = liar.port();
  seed.password = "the-cluster-password";
  RedisOptions opts;
  opts.stats = std::make_shared<RedisStats>();
  auto client =
      std::make_shared<ClusterClient>(env.executor(), std::vector<Endpoint>{seed}, opts, "victim");
  client->start({});
  auto got = test::await(client->request("k", {"SET", "k", "secret value"}));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::unavailable);
  EXPECT_GE(liar.movedSent(), 1);
  EXPECT_GE(opts.stats->redirects_refused.load(), 1u);
  EXPECT_EQ(opts.stats->redirects.load(), 0u);
  boost::asio::ip::tcp::socket probe(trap_ioc);
  boost::system::error_code ec;
  trap.accept(probe, ec);
  EXPECT_EQ(ec, boost::asio::error::would_block) << "the client connected to " << trap_address;
  client->stop();
}

}  // namespace
}  // namespace parley::redis
