// A scripted HTTP/1.1 server on a free loopback port, for adapter tests of retries and error
// mapping: it answers each request with the next canned response (a 500 once they run out),
// records what it was sent (head and body), and closes the connection after each answer.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

class ScriptedHttpServer {
 public:
  struct Request {
    std::string head;  // request line and headers, without the blank line
    std::string body;
  };

  explicit ScriptedHttpServer(std::vector<std::string> responses)
      : responses_(responses.begin(), responses.end()),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(ioc_, serve(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~ScriptedHttpServer() {
    ioc_.stop();
    thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  std::vector<Request> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  // The heads only.
  std::vector<std::string> requests() {
    std::vector<std::string> heads;
    for (auto& r : received()) heads.push_back(r.head);
    return heads;
  }

  static std::string reply(int status, const std::string& reason, const std::string& body,
                           const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
  }

 private:
  static std::size_t contentLength(const std::string& head) {
    std::string lower;
    for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::stoul(head.substr(at + 17));
  }

  boost::asio::awaitable<void> serve() {
    namespace asio = boost::asio;
    for (;;) {
      asio::ip::tcp::socket sock = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::streambuf buf;
      const std::size_t head_size =
          co_await asio::async_read_until(sock, buf, "\r\n\r\n", asio::use_awaitable);
      std::string all(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
      Request req{all.substr(0, head_size - 4), all.substr(head_size)};
      const std::size_t length = contentLength(req.head);
      if (req.body.size() < length) {
        std::string rest(length - req.body.size(), '\0');
        co_await asio::async_read(sock, asio::buffer(rest), asio::use_awaitable);
        req.body += rest;
      }
      std::string response;
      {
        std::lock_guard lock(mu_);
        received_.push_back(std::move(req));
        response =
            responses_.empty() ? reply(500, "Internal Server Error", "") : responses_.front();
        if (!responses_.empty()) responses_.pop_front();
      }
      co_await asio::async_write(sock, asio::buffer(response), asio::use_awaitable);
      boost::system::error_code ignored;
      sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
  }

  std::mutex mu_;
  std::deque<std::string> responses_;  // GUARDED_BY(mu_)
  std::vector<Request> received_;      // GUARDED_BY(mu_)
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace parley::testing
