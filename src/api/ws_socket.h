// A WebSocket's connection after the handshake, plain TCP or TLS, in the shape the session
// (websocket_session.cpp) drives it: wait until readable, then read what is there without
// blocking; write without blocking (a gather write that may be cut short), and wait until
// writable when the socket is full.
//
// Plain TCP is the socket itself. TLS (TlsPipe, ws_socket.cpp) runs the stream's own
// asynchronous read and write beneath that shape: a read of up to 16 KiB is in flight while
// the session waits, and a write takes up to 64 KiB at once and is "full" until the stream
// has written them. So a TLS WebSocket holds up to 64 KiB beyond --max-outbound, and a read
// buffer while it waits. Used on the session's strand only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <span>

namespace parley::api {

class HttpStream;  // http_stream.h
class TlsPipe;     // ws_socket.cpp

class WsSocket {
 public:
  using Waiter = std::function<void(const boost::system::error_code&)>;

  // Takes the connection over from the HTTP side (after the upgrade's 101 is written).
  explicit WsSocket(HttpStream&& stream);
  WsSocket(WsSocket&&) noexcept;
  ~WsSocket();

  boost::asio::any_io_executor get_executor() { return socket_.get_executor(); }
  // Non-blocking mode and TCP keepalive (a vanished peer is found in about five minutes).
  void start();

  // What is there, without blocking: would_block when nothing is; eof at the end.
  std::size_t readSome(boost::asio::mutable_buffer b, boost::system::error_code& ec);
  // What the connection takes now, without blocking: would_block when it takes nothing.
  std::size_t writeSome(std::span<const boost::asio::const_buffer> bufs,
                        boost::system::error_code& ec);

  template <class Handler>
  void waitReadable(Handler&& h) {
    if (tls_) return tlsWaitReadable(Waiter(std::forward<Handler>(h)));
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::forward<Handler>(h));
  }
  template <class Handler>
  void waitWritable(Handler&& h) {
    if (tls_) return tlsWaitWritable(Waiter(std::forward<Handler>(h)));
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, std::forward<Handler>(h));
  }

  // No more bytes from us (once what is taken is written); the peer's still arrive.
  void shutdownSend();
  // Ends every wait (with operation_aborted) and the connection.
  void close();
  bool isOpen() const;

 private:
  void tlsWaitReadable(Waiter w);
  void tlsWaitWritable(Waiter w);
  int nativeHandle();

  boost::asio::ip::tcp::socket socket_;  // plain TCP; unused (closed) for TLS
  std::shared_ptr<TlsPipe> tls_;         // null for plain TCP
};

}  // namespace parley::api
