#include "net.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

namespace parley_bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// --------------------------------------------------------------------------- HTTP

struct HttpClient::Impl {
  tcp::endpoint server;
  std::string host;
  asio::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  HttpResponse attempt(http::verb verb, std::string_view target, std::string_view body,
                       std::string_view token) {
    beast::error_code ec;
    if (!stream) {
      stream = std::make_unique<beast::tcp_stream>(io);
      stream->expires_after(std::chrono::seconds(30));
      stream->connect(server, ec);
      if (ec) {
        stream.reset();
        return {0, ec.message()};
      }
      buffer.clear();
    }
    http::request<http::string_body> req{verb, std::string(target), 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + std::string(token));
    req.body() = std::string(body);
    req.prepare_payload();
    req.keep_alive(true);
    stream->expires_after(std::chrono::seconds(60));
    http::write(*stream, req, ec);
    if (ec) {
      stream.reset();
      return {0, ec.message()};
    }
    http::response<http::string_body> res;
    http::read(*stream, buffer, res, ec);
    if (ec) {
      stream.reset();
      return {0, ec.message()};
    }
    if (!res.keep_alive()) stream.reset();
    return {static_cast<int>(res.result_int()), std::move(res.body())};
  }
};

HttpClient::HttpClient(tcp::endpoint server, std::string host) : impl_(std::make_unique<Impl>()) {
  impl_->server = server;
  impl_->host = std::move(host);
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body, std::string_view token) {
  http::verb verb = http::string_to_verb(method);
  // A kept-alive connection the server closed meanwhile fails once; retry on a fresh one.
  HttpResponse res = impl_->attempt(verb, target, body, token);
  if (res.status == 0) res = impl_->attempt(verb, target, body, token);
  return res;
}

// --------------------------------------------------------------------------- WebSocket

namespace {

class WsConnImpl : public WsConn, public std::enable_shared_from_this<WsConnImpl> {
 public:
  WsConnImpl(asio::io_context& io, std::string host, std::string target, std::string subprotocol,
             int id, WsListener* listener)
      : ws_(io),
        host_(std::move(host)),
        target_(std::move(target)),
        subprotocol_(std::move(subprotocol)),
        id_(id),
        listener_(listener) {}

  void start(tcp::endpoint server, asio::ip::address source, std::string hello) {
    hello_ = std::move(hello);
    auto& sock = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    sock.open(server.protocol(), ec);
    if (!ec) sock.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
    if (ec) {
      fail("bind " + source.to_string() + ": " + ec.message());
      return;
    }
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(
        server, [self = shared_from_this()](beast::error_code ec) { self->onConnect(ec); });
  }

  void send(std::string frame) override {
    if (closed_) return;
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1 && open_) writeNext();
  }

  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    if (!open_) {
      abort();
      return;
    }
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) {});
  }

  void abort() override {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  size_t queuedFrames() const override { return queue_.size(); }

 private:
  void onConnect(beast::error_code ec) {
    if (ec) return fail("connect: " + ec.message());
    // The generator must not add Nagle delays of its own to what it measures.
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout opt =
        websocket::stream_base::timeout::suggested(beast::role_type::client);
    opt.handshake_timeout = std::chrono::seconds(30);
    ws_.set_option(opt);
    ws_.text(true);
    if (!subprotocol_.empty()) {
      ws_.set_option(
          websocket::stream_base::decorator([p = subprotocol_](websocket::request_type& req) {
            req.set(http::field::sec_websocket_protocol, p);
          }));
    }
    ws_.async_handshake(host_, target_, [self = shared_from_this()](beast::error_code ec) {
      self->onHandshake(ec);
    });
  }

  void onHandshake(beast::error_code ec) {
    if (ec) return fail("handshake: " + ec.message());
    open_ = true;
    if (!hello_.empty()) queue_.push_front(std::move(hello_));
    if (!queue_.empty()) writeNext();
    listener_->onOpen(id_);
    readNext();
  }

  void writeNext() {
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onWrite(ec); });
  }

  void onWrite(beast::error_code ec) {
    if (ec) return fail("write: " + ec.message());
    if (closed_) return;
    queue_.pop_front();
    if (!queue_.empty() && !closed_) writeNext();
  }

  void readNext() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec) {
      if (ec == websocket::error::closed) {
        auto reason = ws_.reason();
        return fail("closed " + std::to_string(reason.code));
      }
      return fail("read: " + ec.message());
    }
    auto data = buffer_.cdata();
    listener_->onFrame(id_, std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    readNext();
  }

  void fail(std::string why) {
    if (closed_) return;
    closed_ = true;  // the queue stays: a write in flight may still reference its front
    listener_->onClosed(id_, why);
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::string host_;
  std::string target_;
  std::string subprotocol_;
  std::string hello_;
  int id_;
  WsListener* listener_;
  std::deque<std::string> queue_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

class HttpConnImpl : public HttpConn, public std::enable_shared_from_this<HttpConnImpl> {
 public:
  HttpConnImpl(asio::io_context& io, tcp::endpoint server, asio::ip::address source,
               std::string host)
      : io_(io), server_(server), source_(source), host_(std::move(host)) {}

  void get(std::string target, std::string token, Done done) override {
    done_ = std::move(done);
    req_ = {};
    req_.method(http::verb::get);
    req_.target(target);
    req_.version(11);
    req_.set(http::field::host, host_);
    req_.set(http::field::authorization, "Bearer " + token);
    req_.keep_alive(true);
    if (stream_) return write();
    stream_ = std::make_unique<beast::tcp_stream>(io_);
    beast::error_code ec;
    auto& sock = stream_->socket();
    sock.open(server_.protocol(), ec);
    if (!ec) sock.bind(tcp::endpoint(source_, 0), ec);
    if (ec) return complete(0, 0);
    stream_->expires_after(std::chrono::seconds(30));
    stream_->async_connect(server_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->complete(0, 0);
      self->stream_->socket().set_option(tcp::no_delay(true), ec);
      self->write();
    });
  }

  void close() override {
    if (!stream_) return;
    beast::error_code ec;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_->socket().close(ec);
  }

 private:
  void write() {
    stream_->expires_after(std::chrono::seconds(30));
    http::async_write(*stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->complete(0, 0);
      self->read();
    });
  }

  void read() {
    res_ = {};
    http::async_read(
        *stream_, buffer_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->complete(0, 0);
          if (!self->res_.keep_alive()) self->drop();
          self->complete(static_cast<int>(self->res_.result_int()), self->res_.body().size());
        });
  }

  void drop() {
    close();
    // Destroyed later: this may run inside one of the stream's own handlers.
    asio::post(io_, [old = std::shared_ptr<beast::tcp_stream>(std::move(stream_))] {});
    buffer_.clear();
  }

  void complete(int status, size_t bytes) {
    if (status == 0 && stream_) drop();
    auto done = std::move(done_);
    done(status, bytes);
  }

  asio::io_context& io_;
  tcp::endpoint server_;
  asio::ip::address source_;
  std::string host_;
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> req_;
  http::response<http::string_body> res_;
  Done done_;
};

}  // namespace

HttpConnPtr openHttp(asio::io_context& io, tcp::endpoint server, asio::ip::address source,
                     std::string host) {
  return std::make_shared<HttpConnImpl>(io, server, source, std::move(host));
}

WsConnPtr openWs(asio::io_context& io, tcp::endpoint server, asio::ip::address source,
                 std::string host, std::string target, std::string subprotocol, std::string hello,
                 int id, WsListener* listener) {
  auto conn = std::make_shared<WsConnImpl>(io, std::move(host), std::move(target),
                                           std::move(subprotocol), id, listener);
  conn->start(server, source, std::move(hello));
  return conn;
}

}  // namespace parley_bench
