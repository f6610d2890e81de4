// The network side of parley-bench, kept behind a Beast-free interface so that only
// net.cpp compiles Beast: a blocking keep-alive HTTP client for set-up, and asynchronous
// WebSocket connections that bind a chosen 127.x.y.z source address before connecting.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace parley_bench {

struct HttpResponse {
  int status = 0;  // 0: transport failure (see body)
  std::string body;
};

// One keep-alive connection, reopened when the server closes it. Blocking; one thread.
class HttpClient {
 public:
  HttpClient(boost::asio::ip::tcp::endpoint server, std::string host);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(std::string_view method, std::string_view target, std::string_view body,
                       std::string_view token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Callbacks of a WebSocket connection, all run on the io_context's thread. The listener
// must outlive every connection it was given to.
class WsListener {
 public:
  virtual ~WsListener() = default;
  // The upgrade succeeded and `hello` (if any) was queued.
  virtual void onOpen(int id) = 0;
  // One text frame; the view is valid only during the call.
  virtual void onFrame(int id, std::string_view frame) = 0;
  // The connection failed or closed; no callback follows for this id.
  virtual void onClosed(int id, std::string_view why) = 0;
};

class WsConn {
 public:
  virtual ~WsConn() = default;
  // Queues one text frame; frames go out in order, one write at a time.
  virtual void send(std::string frame) = 0;
  // Starts a normal close (1000); onClosed follows.
  virtual void close() = 0;
  // Drops the TCP connection without a close handshake (a network failure).
  virtual void abort() = 0;
  virtual size_t queuedFrames() const = 0;
};

using WsConnPtr = std::shared_ptr<WsConn>;

// An asynchronous keep-alive HTTP/1.1 connection for open-loop REST load. One request at a
// time: call get() again only after its `done` ran. Connects (binding `source`) on first
// use and again after any failure. Callbacks run on the io_context's thread.
class HttpConn {
 public:
  // status 0: transport failure; body_bytes: size of the response body.
  using Done = std::function<void(int status, size_t body_bytes)>;
  virtual ~HttpConn() = default;
  virtual void get(std::string target, std::string token, Done done) = 0;
  virtual void close() = 0;
};

using HttpConnPtr = std::shared_ptr<HttpConn>;

HttpConnPtr openHttp(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint server,
                     boost::asio::ip::address source, std::string host);

// Binds `source` (port 0), connects to `server`, upgrades at `target` (asking for
// `subprotocol` in Sec-WebSocket-Protocol unless empty), sends `hello` unless empty.
WsConnPtr openWs(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint server,
                 boost::asio::ip::address source, std::string host, std::string target,
                 std::string subprotocol, std::string hello, int id, WsListener* listener);

}  // namespace parley_bench
