#include "api/ws_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "api/http_stream.h"

namespace parley::api {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// The TLS stream beneath WsSocket's shape (ws_socket.h). Its asynchronous operations hold
// it (shared_from_this), so it outlives a session that ends while they are in flight.
class TlsPipe : public std::enable_shared_from_this<TlsPipe> {
 public:
  TlsPipe(std::unique_ptr<HttpStream::TlsStream> stream, TlsContexts::ContextPtr ctx)
      : ctx_(std::move(ctx)), stream_(std::move(stream)) {}

  tcp::socket& socket() { return stream_->next_layer().socket(); }

  std::size_t readSome(asio::mutable_buffer b, error_code& ec) {
    const std::size_t have = in_.size() - in_head_;
    if (have == 0) {
      ec = read_ec_ ? read_ec_ : error_code(asio::error::would_block);
      return 0;
    }
    const std::size_t n = std::min(have, b.size());
    std::memcpy(b.data(), in_.data() + in_head_, n);
    in_head_ += n;
    if (in_head_ == in_.size()) {
      std::string().swap(in_);  // nothing is held between reads
      in_head_ = 0;
    }
    ec = {};
    return n;
  }

  std::size_t writeSome(std::span<const asio::const_buffer> bufs, error_code& ec) {
    if (write_ec_) {
      ec = write_ec_;
      return 0;
    }
    if (writing_) {
      ec = asio::error::would_block;
      return 0;
    }
    for (const auto& b : bufs) {
      const std::size_t n = std::min(b.size(), kMaxWrite - out_.size());
      out_.append(static_cast<const char*>(b.data()), n);
      if (out_.size() == kMaxWrite) break;
    }
    ec = {};
    if (out_.empty()) return 0;
    writing_ = true;
    asio::async_write(*stream_, asio::buffer(out_),
                      [self = shared_from_this()](error_code e, std::size_t) { self->wrote(e); });
    return out_.size();
  }

  void waitReadable(WsSocket::Waiter w) {
    if (in_head_ < in_.size() || read_ec_) return ready(std::move(w));
    read_waiter_ = std::move(w);
    if (reading_) return;
    reading_ = true;
    in_.resize(kReadChunk);
    stream_->async_read_some(asio::buffer(in_),
                             [self = shared_from_this()](error_code e, std::size_t n) {
                               self->reading_ = false;
                               self->in_.resize(n);
                               self->in_head_ = 0;
                               if (e) self->read_ec_ = e;
                               if (auto waiter = std::move(self->read_waiter_)) {
                                 self->read_waiter_ = nullptr;
                                 waiter(e == asio::error::operation_aborted ? e : error_code());
                               }
                             });
  }

  void waitWritable(WsSocket::Waiter w) {
    if (!writing_) return ready(std::move(w));
    write_waiter_ = std::move(w);
  }

  void shutdownSend() {
    if (writing_) {
      shut_after_write_ = true;
      return;
    }
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void close() {
    error_code ignored;
    socket().close(ignored);
  }
  bool isOpen() { return socket().is_open(); }

 private:
  static constexpr std::size_t kReadChunk = 16 * 1024;
  static constexpr std::size_t kMaxWrite = 64 * 1024;

  void ready(WsSocket::Waiter w) {
    asio::post(stream_->get_executor(), [w = std::move(w)] { w(error_code()); });
  }

  void wrote(error_code e) {
    writing_ = false;
    std::string().swap(out_);
    if (e) write_ec_ = e;
    if (shut_after_write_) shutdownSend();
    if (auto waiter = std::move(write_waiter_)) {
      write_waiter_ = nullptr;
      // A failed write shows at the next writeSome; only a closed socket ends the wait.
      waiter(e == asio::error::operation_aborted ? e : error_code());
    }
  }

  TlsContexts::ContextPtr ctx_;  // outlives stream_
  std::unique_ptr<HttpStream::TlsStream> stream_;
  std::string in_;  // decrypted bytes read and not yet taken, from in_head_ on
  std::size_t in_head_ = 0;
  bool reading_ = false;
  error_code read_ec_;  // the read failed (eof, reset): readSome reports it
  WsSocket::Waiter read_waiter_;
  std::string out_;  // bytes taken and being written
  bool writing_ = false;
  bool shut_after_write_ = false;
  error_code write_ec_;
  WsSocket::Waiter write_waiter_;
};

namespace {

tcp::socket plainSocket(HttpStream& stream) {
  if (stream.tls()) return tcp::socket(stream.get_executor());
  return stream.tcp().release_socket();
}

std::shared_ptr<TlsPipe> tlsPipe(HttpStream& stream) {
  if (!stream.tls()) return nullptr;
  auto [tls, ctx] = stream.releaseTls();
  tls->next_layer().expires_never();
  return std::make_shared<TlsPipe>(std::move(tls), std::move(ctx));
}

}  // namespace

WsSocket::WsSocket(HttpStream&& stream) : socket_(plainSocket(stream)), tls_(tlsPipe(stream)) {}
WsSocket::WsSocket(WsSocket&&) noexcept = default;
WsSocket::~WsSocket() = default;

int WsSocket::nativeHandle() {
  return tls_ ? tls_->socket().native_handle() : socket_.native_handle();
}

void WsSocket::start() {
  error_code ignored;
  if (!tls_) socket_.non_blocking(true, ignored);
  // A peer that vanished is found by TCP keepalive (~5 min), as Beast's idle pings did, but
  // without a timer per connection.
  int fd = nativeHandle();
  int on = 1, idle = 150, interval = 30, count = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

std::size_t WsSocket::readSome(asio::mutable_buffer b, error_code& ec) {
  if (tls_) return tls_->readSome(b, ec);
  return socket_.read_some(b, ec);
}

std::size_t WsSocket::writeSome(std::span<const asio::const_buffer> bufs, error_code& ec) {
  if (tls_) return tls_->writeSome(bufs, ec);
  return socket_.write_some(bufs, ec);
}

void WsSocket::tlsWaitReadable(Waiter w) { tls_->waitReadable(std::move(w)); }
void WsSocket::tlsWaitWritable(Waiter w) { tls_->waitWritable(std::move(w)); }

void WsSocket::shutdownSend() {
  error_code ignored;
  if (tls_) return tls_->shutdownSend();
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void WsSocket::close() {
  error_code ignored;
  if (tls_) return tls_->close();
  socket_.close(ignored);
}

bool WsSocket::isOpen() const { return tls_ ? tls_->isOpen() : socket_.is_open(); }

}  // namespace parley::api
