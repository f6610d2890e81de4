// The HTTP listener: accepts connections, serves the REST API and operations endpoints,
// hands WebSocket upgrades to their sessions, and shuts down gracefully.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "api/api_context.h"
#include "api/files_http.h"
#include "api/router.h"
#include "api/session_registry.h"

namespace parley::api {

class Server {
 public:
  Server(boost::asio::io_context& ioc, ApiContext& ctx);
  ~Server();

  // Binds and listens; port 0 picks a free port. Returns the bound endpoint.
  Result<boost::asio::ip::tcp::endpoint> listen(const std::string& host, std::uint16_t port);
  void start();
  // Stops accepting, closes every WebSocket with 1001 after its current write, and waits
  // for them (at most `deadline`).
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds deadline);

 private:
  struct Connection;  // server.cpp: one HTTP connection's stream, buffer and request
  enum class Next { keep, close, handed_off };  // after a request: the connection's fate

  boost::asio::awaitable<void> acceptLoop();
  // One connection: read a request's header, dispatch it, until the connection is done.
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket, std::size_t shard);
  boost::asio::awaitable<bool> readHeader(Connection& c);
  // Upgrade, file route, or a request read whole and answered (API, operations, static).
  boost::asio::awaitable<Next> dispatch(Connection& c);
  // Reads the body within --max-body into c.req; false when the connection must close
  // (a body over the limit has been answered 413).
  boost::asio::awaitable<bool> readBody(Connection& c);
  boost::asio::awaitable<Next> upgrade(Connection& c, std::string client_ip);
  boost::asio::awaitable<HttpResponse> answer(Connection& c, const std::string& client_ip);
  // The streamed file routes (files_http.h); each returns whether the connection may be
  // kept for another request.
  // (file_transfer.cpp)
  boost::asio::awaitable<bool> uploadFile(Connection& c, const FileRoute& route,
                                          const std::string& client_ip);
  boost::asio::awaitable<bool> serveFile(Connection& c, const FileRoute& route,
                                         const std::string& client_ip);

  boost::asio::io_context& ioc_;
  ApiContext& ctx_;
  Router router_;
  SessionRegistry registry_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
};

}  // namespace parley::api
