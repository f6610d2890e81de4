// Connection reuse of the S3 adapter's HTTP client against a loopback HTTP/1.1 server that
// keeps connections open (or closes them when told), counting what it accepts.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "adapters/s3/s3_blob_store.h"
#include "support/await.h"

namespace parley::s3 {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using ::parley::testing::await;

// Runs `n` copies of `make()` concurrently on one caller io_context.
template <class Make>
std::size_t awaitAll(int n, Make make) {
  asio::io_context ioc;
  std::vector<std::future<Result<BlobInfo>>> done;
  for (int i = 0; i < n; ++i) done.push_back(asio::co_spawn(ioc, make(), asio::use_future));
  ioc.run();
  std::size_t ok = 0;
  for (auto& f : done) ok += f.get().has_value() ? 1 : 0;
  return ok;
}

class KeepAliveServer {
 public:
  // Every request gets `response`; with `close_after_each` the server closes the connection
  // after answering (whatever the response says). With `batch` > 1, answers are held until
  // `batch` requests have arrived, then all given: that many are in flight at once.
  KeepAliveServer(std::string response, bool close_after_each = false, int batch = 1)
      : response_(std::move(response)),
        close_after_each_(close_after_each),
        batch_(batch),
        acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(ioc_, accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~KeepAliveServer() {
    ioc_.stop();
    thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      tcp::socket sock = co_await acceptor_.async_accept(asio::use_awaitable);
      accepted_++;
      asio::co_spawn(ioc_, serve(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket sock) {
    asio::streambuf buf;
    for (;;) {
      auto [err, n] = co_await asio::async_read_until(sock, buf, "\r\n\r\n",
                                                      asio::as_tuple(asio::use_awaitable));
      if (err) co_return;  // the client closed it
      std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      const std::size_t body = contentLength(head);
      if (buf.size() < body) {
        auto [berr, bn] =
            co_await asio::async_read(sock, buf, asio::transfer_exactly(body - buf.size()),
                                      asio::as_tuple(asio::use_awaitable));
        if (berr) co_return;
      }
      buf.consume(body);
      if (++requests_ % batch_ != 0) {
        auto [gerr] = co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
      } else {
        gate_.cancel();  // releases the requests held before this one
      }
      auto [werr, wn] = co_await asio::async_write(sock, asio::buffer(response_),
                                                   asio::as_tuple(asio::use_awaitable));
      if (werr || close_after_each_) co_return;  // the socket closes here
    }
  }

  static std::size_t contentLength(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::stoul(lower.substr(at + 17));
  }

  const std::string response_;
  const bool close_after_each_;
  const int batch_;
  std::atomic<int> accepted_{0}, requests_{0};
  asio::io_context ioc_;
  asio::steady_timer gate_{ioc_, asio::steady_timer::time_point::max()};
  tcp::acceptor acceptor_;
  std::thread thread_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const std::string kOkClose = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

S3Config configFor(const KeepAliveServer& server) {
  S3Config c;
  c.credentials = {"AKIDTEST", "secret"};
  c.host = "127.0.0.1";
  c.port = server.port();
  c.bucket = "bucket";
  c.backoff_initial = std::chrono::milliseconds(1);
  c.backoff_max = std::chrono::milliseconds(4);
  return c;
}

TEST(S3Connections, OneConnectionCarriesSequentialRequests) {
  KeepAliveServer server(kOk);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(configFor(server), stats);
  for (int i = 0; i < 5; ++i) {
    StringBlobSource src("body " + std::to_string(i));  // PUTs with bodies, then HEADs
    ASSERT_TRUE(await(store->put("k" + std::to_string(i), src)));
    ASSERT_TRUE(await(store->stat("k" + std::to_string(i))));
  }
  EXPECT_EQ(server.requests(), 10);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(stats->connections_opened.load(), 1u);
}

TEST(S3Connections, ConnectionCloseIsHonoured) {
  KeepAliveServer server(kOkClose);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(configFor(server), stats);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(await(store->stat("k")));
  EXPECT_EQ(server.accepted(), 4);
  EXPECT_EQ(stats->connections_opened.load(), 4u);
  EXPECT_EQ(stats->retries.load(), 0u);
}

TEST(S3Connections, AConnectionTheServerClosedWhileIdleIsReplacedUnseen) {
  // The server answers as if it kept the connection, then closes it: the next request on
  // it fails before any answer and is sent again on a new connection, not counted as a
  // retry and not visible to the caller.
  KeepAliveServer server(kOk, /*close_after_each=*/true);
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(configFor(server), stats);
  for (int i = 0; i < 3; ++i) {
    auto got = await(store->stat("k"));
    ASSERT_TRUE(got) << got.error().message;
  }
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(stats->requests.load(), 3u);
  EXPECT_EQ(stats->retries.load(), 0u);
  EXPECT_EQ(stats->connections_opened.load(), 3u);
}

TEST(S3Connections, ThePoolKeepsAtMostMaxIdleConnections) {
  KeepAliveServer server(kOk, false, /*batch=*/5);
  S3Config c = configFor(server);
  c.max_idle_connections = 2;
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(c, stats);
  auto stat = [&] { return store->stat("k"); };
  // Five at once need five connections; two stay pooled, three are closed.
  EXPECT_EQ(awaitAll(5, stat), 5u);
  EXPECT_EQ(stats->connections_opened.load(), 5u);
  // Five at once again: the two pooled ones are reused, three are new.
  EXPECT_EQ(awaitAll(5, stat), 5u);
  EXPECT_EQ(stats->connections_opened.load(), 8u);
  EXPECT_EQ(server.accepted(), 8);
}

TEST(S3Connections, NoPoolingWhenMaxIdleIsZero) {
  KeepAliveServer server(kOk);
  S3Config c = configFor(server);
  c.max_idle_connections = 0;
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(c, stats);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(await(store->stat("k")));
  EXPECT_EQ(stats->connections_opened.load(), 3u);
}

TEST(S3Connections, IdleConnectionsExpire) {
  KeepAliveServer server(kOk);
  S3Config c = configFor(server);
  c.idle_timeout = std::chrono::milliseconds(0);  // any idle time is too long
  auto stats = std::make_shared<S3Stats>();
  auto store = makeS3BlobStore(c, stats);
  ASSERT_TRUE(await(store->stat("k")));
  ASSERT_TRUE(await(store->stat("k")));
  EXPECT_EQ(stats->connections_opened.load(), 2u);
}

}  // namespace
}  // namespace parley::s3
