// One accepted connection's byte stream, plain TCP or TLS, as ONE type: the HTTP code
// (server.cpp, file_transfer.cpp) and the WebSocket handshake (ws_upgrade.cpp) are compiled
// once for it, and only its read_some/write_some choose at run time. Timeouts are those of
// the TCP stream beneath (beast::tcp_stream: expires_after, expires_never), which also
// bound the TLS layer's reads and writes. Internal to api/ (Beast templates: include it only
// from the translation units above and ws_socket.cpp).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "api/tls_contexts.h"

namespace parley::api {

class HttpStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

  // Plain TCP.
  explicit HttpStream(boost::asio::ip::tcp::socket&& socket) : plain_(std::move(socket)) {}
  // TLS with `ctx` (the handshake is the caller's: tls()->async_handshake).
  HttpStream(boost::asio::ip::tcp::socket&& socket, TlsContexts::ContextPtr ctx)
      : plain_(socket.get_executor()),
        ctx_(std::move(ctx)),
        tls_(std::make_unique<TlsStream>(boost::beast::tcp_stream(std::move(socket)), *ctx_)) {}
  HttpStream(HttpStream&&) = default;
  HttpStream& operator=(HttpStream&&) = default;

  executor_type get_executor() { return plain_.get_executor(); }
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : plain_; }
  boost::asio::ip::tcp::socket& socket() { return tcp().socket(); }
  // Null for plain TCP.
  TlsStream* tls() { return tls_.get(); }
  // The TLS stream and the context it was made from (which must outlive it), taken away.
  std::pair<std::unique_ptr<TlsStream>, TlsContexts::ContextPtr> releaseTls() {
    return {std::move(tls_), std::move(ctx_)};
  }

  template <class Duration>
  void expires_after(Duration d) {
    tcp().expires_after(d);
  }
  void expires_at(std::chrono::steady_clock::time_point t) { tcp().expires_at(t); }
  void expires_never() { tcp().expires_never(); }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            plain_.async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            plain_.async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  boost::beast::tcp_stream plain_;  // the stream itself, or unused (TLS: tls_'s next layer)
  TlsContexts::ContextPtr ctx_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace parley::api
