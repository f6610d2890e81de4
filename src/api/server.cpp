#include "api/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "api/json_input.h"
#include "api/static_files.h"
#include "api/websocket_session.h"
#include "core/log.h"
#include "core/metrics.h"
#include "service/codec.h"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Server::Server(asio::io_context& ioc, ApiContext& ctx)
    : ioc_(ioc), ctx_(ctx), router_(ctx), acceptor_(ioc) {}

Server::~Server() = default;

Result<tcp::endpoint> Server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return makeError(Code::bad_request, "bad listen address: " + host);
  tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return makeError(Code::unavailable, "cannot listen on " + host + ": " + ec.message());
  return acceptor_.local_endpoint();
}

void Server::start() {
  // Sessions rely on the Hub calling them on their own strand: an unsharded Hub (which
  // routes inline, for unit tests) would push from the Bus's thread.
  if (!ctx_.hub.shardExecutor(0))
    throw std::logic_error("api::Server needs a Hub built with shard executors");
  asio::co_spawn(ioc_, acceptLoop(), [](std::exception_ptr e) {
    if (e) log::error("accept_loop_failed");
  });
}

asio::awaitable<void> Server::acceptLoop() {
  while (!stopping_) {
    // Every connection runs on one of the Hub's shards, so that a WebSocket it upgrades to
    // is fanned out to without a hop between executors.
    std::size_t shard = ctx_.hub.pickShard();
    asio::any_io_executor ex = ctx_.hub.shardExecutor(shard);
    auto [ec, socket] = co_await acceptor_.async_accept(ex, kTuple);
    if (ec == asio::error::operation_aborted || stopping_) break;
    if (ec) {
      log::warn("accept_failed", {{"error", ec.message()}});
      continue;
    }
    asio::co_spawn(ex, session(std::move(socket), shard), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        log::error("http_session_failed", {{"what", x.what()}});
      }
    });
  }
}

namespace {

// A response to HEAD carries the Content-Length of the GET but no body.
template <class Body>
void finish(http::response<Body>& res, bool keep_alive, bool head) {
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (head) {
    auto length = res.payload_size();
    res.body() = {};
    res.content_length(length);
  }
}

http::response<http::string_body> toBeast(HttpResponse&& r, unsigned version, bool keep_alive,
                                          bool head = false) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "parley");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  finish(res, keep_alive, head);
  return res;
}

// The path of an origin-form target, without its query.
std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// A file of the built client, written straight from the shared in-memory table (no copy).
http::response<http::span_body<const char>> staticResponse(const StaticFile& file, unsigned version,
                                                           bool keep_alive, bool head) {
  http::response<http::span_body<const char>> res{http::status::ok, version};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, file.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, file.cache_control);
  for (auto& [k, v] : StaticSite::securityHeaders()) res.insert(k, v);
  res.body() = {file.body.data(), file.body.size()};
  finish(res, keep_alive, head);
  return res;
}

// The paths Server::answer routes itself; the static route takes none of them.
bool isServerRoute(std::string_view path) {
  return path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics";
}

// GET or HEAD of a path no other route takes: a file of the built client, or nullptr
// (answered as any missing route).
const StaticFile* staticFile(const ApiContext& ctx, http::verb method, std::string_view path) {
  if (!ctx.static_site || isServerRoute(path)) return nullptr;
  if (method != http::verb::get && method != http::verb::head) return nullptr;
  return ctx.static_site->find(path);
}

HttpResponse plain(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// The proxy appends the address it saw last: only that entry is not the client's own claim.
template <class Fields>
std::string clientAddress(const http::request_header<Fields>& req, const std::string& peer,
                          bool trust_forwarded_for) {
  if (!trust_forwarded_for) return peer;
  std::string_view xff = req["X-Forwarded-For"];
  if (xff.empty()) return peer;
  auto comma = xff.rfind(',');
  std::string_view last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  beast::error_code ec;
  auto addr = asio::ip::make_address(last, ec);
  return ec ? peer : addr.to_string();
}

HttpResponse errorResponse(const Error& e) {
  metrics().countError(e.code);
  HttpResponse r;
  r.status = httpStatus(e.code);
  r.body = errorBody(e);
  if (e.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  return r;
}

// The request as the router sees it; the one way an HttpRequest is built. Its body, if
// any, is read separately and moved in by the caller.
template <class Fields>
HttpRequest routerRequest(const http::request_header<Fields>& req, const std::string& client_ip) {
  return HttpRequest{std::string(req.method_string()),
                     std::string(req.target()),
                     std::string(req[http::field::authorization]),
                     std::string(req[http::field::cookie]),
                     std::string(req[http::field::origin]),
                     std::string(req[http::field::host]),
                     {},
                     client_ip};
}

template <class Stream>
asio::awaitable<bool> writeResponse(Stream& stream, HttpResponse&& out, unsigned version,
                                    bool keep_alive) {
  auto res = toBeast(std::move(out), version, keep_alive);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec && keep_alive;
}

// Answers an upload that will not be read to its end, then closes the connection gently:
// the client may still be sending, and closing with unread bytes would reset the
// connection before it reads the answer. Reads (and drops) a bounded amount meanwhile.
template <class Stream>
asio::awaitable<bool> refuseUpload(Stream& stream, HttpResponse&& out, unsigned version) {
  co_await writeResponse(stream, std::move(out), version, false);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::string sink(64 * 1024, '\0');
  std::size_t dropped = 0;
  stream.expires_after(std::chrono::seconds(5));
  while (dropped < 16 * 1024 * 1024) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
    dropped += n;
  }
  co_return false;
}

// Bytes that are not a valid HTTP/1.1 request, as opposed to a client that went away or
// stalled (then there is nobody to answer).
bool malformed(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// A body whose length another reader could take differently (RFC 9112, 6.1 and 6.3): any
// Transfer-Encoding but a single "chunked" on HTTP/1.1. Beast ignores a coding it does not
// know and reads no body, so the body would be taken for the next request.
template <class Fields>
bool ambiguousFraming(const http::request_header<Fields>& req) {
  auto te = req.equal_range(http::field::transfer_encoding);
  if (te.first == te.second) return false;
  return std::next(te.first) != te.second || !beast::iequals(te.first->value(), "chunked") ||
         req.version() < 11;
}

// Answers bytes that are not a request we can read with 400, then closes: what follows
// them cannot be told apart from a request of its own.
template <class Stream>
asio::awaitable<void> refuseMalformed(Stream& stream, std::string why) {
  Error e{Code::bad_request, std::move(why)};  // named (g++ 12: src/README.md)
  HttpResponse out = errorResponse(e);
  co_await refuseUpload(stream, std::move(out), 11);
}

// An upload's body, read from the socket piece by piece into a fixed buffer: the file is
// never held whole. Read errors abort the upload (the client went away or stalled).
//
// The body must keep a minimum average rate (FileLimits::min_upload_rate after
// upload_grace_ms, docs/api.md): the bytes that have arrived buy time, so the next byte is
// due by start + grace + received / rate, and never more than 30 s after the last read. A
// trickle is cut at that deadline, however regularly its bytes come.
template <class Stream, class Buffer>
class RequestBodySource final : public BlobSource {
 public:
  RequestBodySource(Stream& stream, Buffer& buffer, http::request_parser<http::buffer_body>& p,
                    const FileLimits& limits)
      : stream_(stream),
        buffer_(buffer),
        parser_(p),
        piece_(kPieceBytes, '\0'),
        limits_(limits),
        start_(std::chrono::steady_clock::now()) {}

  asio::awaitable<Result<std::string>> next() override {
    while (!parser_.is_done()) {
      parser_.get().body().data = piece_.data();
      parser_.get().body().size = piece_.size();
      stream_.expires_at(deadline());
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser_, kTuple);
      if (ec == beast::error::timeout) {
        too_slow_ = true;
        metrics().uploads_too_slow.inc();
        co_return makeError(Code::bad_request, "the upload was too slow: at least " +
                                                   std::to_string(limits_.min_upload_rate) +
                                                   " bytes/s are needed");
      }
      if (ec && ec != http::error::need_buffer) {
        co_return makeError(Code::bad_request, "the upload was cut short: " + ec.message());
      }
      const std::size_t got = piece_.size() - parser_.get().body().size;
      received_ += got;
      if (got > 0) co_return std::string(piece_.data(), got);
    }
    co_return std::string();
  }

  // Cut for arriving below the minimum rate: the connection is closed without draining.
  bool tooSlow() const { return too_slow_; }

 private:
  std::chrono::steady_clock::time_point deadline() const {
    using namespace std::chrono;
    const auto idle = steady_clock::now() + seconds(30);
    if (limits_.min_upload_rate == 0) return idle;
    const auto earned = microseconds(static_cast<std::int64_t>(
        static_cast<double>(received_) * 1e6 / static_cast<double>(limits_.min_upload_rate)));
    return std::min(idle, start_ + milliseconds(limits_.upload_grace_ms) + earned);
  }

  static constexpr std::size_t kPieceBytes = 256 * 1024;
  Stream& stream_;
  Buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  std::string piece_;
  const FileLimits& limits_;
  const std::chrono::steady_clock::time_point start_;
  std::uint64_t received_ = 0;
  bool too_slow_ = false;
};

// The header of a download: 200, or 206 with Content-Range for one satisfiable range.
template <class Headers>
http::response<http::buffer_body> downloadHeader(Headers&& headers, unsigned version,
                                                 bool keep_alive, const RangeRequest& range,
                                                 std::uint64_t size) {
  const bool partial = range.kind == RangeRequest::Kind::partial;
  const std::uint64_t offset = partial ? range.offset : 0;
  const std::uint64_t length = partial ? range.length : size;
  http::response<http::buffer_body> res{partial ? http::status::partial_content : http::status::ok,
                                        version};
  res.set(http::field::server, "parley");
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [k, v] : headers) res.set(k, v);
  if (partial) {
    res.set(http::field::content_range, "bytes " + std::to_string(offset) + "-" +
                                            std::to_string(offset + length - 1) + "/" +
                                            std::to_string(size));
  }
  res.content_length(length);
  res.keep_alive(keep_alive);
  return res;
}

// A download's body after its header (`sr` serializes `res`): `first`, then every further
// piece of `reader`.
// False when the response could not be finished (the connection is then closed).
template <class Stream>
asio::awaitable<bool> writePieces(Stream& stream, http::response<http::buffer_body>& res,
                                  http::response_serializer<http::buffer_body>& sr,
                                  FileReader& reader, std::string first) {
  auto& body = res.body();
  std::string piece = std::move(first);
  while (!piece.empty()) {
    body.data = piece.data();
    body.size = piece.size();
    body.more = true;
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_write(stream, sr, kTuple);
    if (ec && ec != http::error::need_buffer) co_return false;
    metrics().download_bytes.inc(piece.size());
    auto next = co_await reader.next();
    if (!next) {
      // Headers are out: all that is left is to cut the response short.
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
      co_return false;
    }
    piece = std::move(*next);
  }
  body.data = nullptr;
  body.size = 0;
  body.more = false;
  auto [ec, n] = co_await http::async_write(stream, sr, kTuple);
  co_return !ec;
}

}  // namespace

template <class Stream, class Buffer, class HeaderParser>
asio::awaitable<bool> Server::uploadFile(Stream& stream, Buffer& buffer, HeaderParser& head,
                                         const FileRoute& route, const std::string& client_ip) {
  metrics().http_requests.inc();
  const auto& header = head.get();
  const unsigned version = header.version();
  HttpRequest r = routerRequest(header, client_ip);
  // Refusals before the body is read close the connection: the unread body cannot be
  // told from the next request.
  auto auth = co_await router_.authenticateRequest(r);
  if (!auth) co_return co_await refuseUpload(stream, errorResponse(auth.error()), version);
  auto name = uploadName(r.target);
  if (!name) co_return co_await refuseUpload(stream, errorResponse(name.error()), version);
  if (head.content_length() && *head.content_length() > ctx_.files.limits().max_upload) {
    metrics().upload_failures.inc();
    Error big{Code::payload_too_large, "the file is larger than the upload limit"};
    co_return co_await refuseUpload(stream, errorResponse(big), version);
  }
  // Quotas, the upload rate and the in-flight caps, before a byte of the body is read.
  std::optional<std::uint64_t> declared;
  if (head.content_length()) declared = *head.content_length();
  auto ticket = co_await ctx_.files.admit(auth->user.id, declared);
  if (!ticket) co_return co_await refuseUpload(stream, errorResponse(ticket.error()), version);
  if (beast::iequals(header[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, version};
    auto [ec, n] = co_await http::async_write(stream, go_on, kTuple);
    if (ec) co_return false;
  }
  http::request_parser<http::buffer_body> body_parser(std::move(head));
  body_parser.body_limit(boost::none);  // the service counts bytes against --max-upload
  RequestBodySource<Stream, Buffer> source(stream, buffer, body_parser, ctx_.files.limits());
  std::string file_name = std::move(*name);
  auto file =
      co_await ctx_.files.upload(*ticket, auth->user, route.room, std::move(file_name), source);
  ticket->release();  // the upload is over: its place is free before the client hears so
  const bool complete = body_parser.is_done();
  HttpResponse out;
  if (file) {
    out.status = 201;
    out.body = boost::json::serialize(boost::json::object{{"file", codec::file(*file)}});
  } else {
    out = errorResponse(file.error());
  }
  // The stream closed the socket at the deadline: a client this slow is not answered.
  if (source.tooSlow()) co_return false;
  // The last read's deadline may have passed while the file was stored: the answer gets
  // its own.
  stream.expires_after(std::chrono::seconds(30));
  if (!complete) co_return co_await refuseUpload(stream, std::move(out), version);
  const bool keep_alive = body_parser.get().keep_alive() && !stopping_;
  co_return co_await writeResponse(stream, std::move(out), version, keep_alive);
}

template <class Stream, class Request>
asio::awaitable<bool> Server::serveFile(Stream& stream, const Request& req, const FileRoute& route,
                                        const std::string& client_ip) {
  metrics().http_requests.inc();
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive() && !stopping_;
  HttpRequest r = routerRequest(req, client_ip);
  auto auth = co_await router_.authenticateRequest(r);
  if (!auth)
    co_return co_await writeResponse(stream, errorResponse(auth.error()), version, keep_alive);
  std::string id = route.id;
  auto opened = co_await ctx_.files.open(auth->user.id, route.room, std::move(id),
                                         route.kind == FileRoute::Kind::thumbnail);
  if (!opened) {
    co_return co_await writeResponse(stream, errorResponse(opened.error()), version, keep_alive);
  }
  const std::uint64_t size = opened->size;
  const RangeRequest range = parseRange(req[http::field::range], size);
  auto headers = fileHeaders(*opened, wantsDownload(r.target));
  if (range.kind == RangeRequest::Kind::unsatisfiable) {
    HttpResponse refusal = errorResponse({Code::bad_request, "range not satisfiable"});
    refusal.status = 416;
    refusal.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    co_return co_await writeResponse(stream, std::move(refusal), version, keep_alive);
  }
  const bool partial = range.kind == RangeRequest::Kind::partial;
  const std::uint64_t offset = partial ? range.offset : 0;
  const std::uint64_t length = partial ? range.length : size;

  // The first piece is opened before any byte is sent, so a damaged file is answered with
  // a clean 500 rather than a cut response.
  FileReader reader = ctx_.files.reader(std::move(*opened), offset, length);
  std::string piece;
  if (req.method() != http::verb::head) {
    auto first = co_await reader.next();
    if (!first)
      co_return co_await writeResponse(stream, errorResponse(first.error()), version, keep_alive);
    piece = std::move(*first);
  }
  auto res = downloadHeader(std::move(headers), version, keep_alive, range, size);
  metrics().downloads.inc();
  http::response_serializer<http::buffer_body> sr(res);
  stream.expires_after(std::chrono::seconds(30));
  if (auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple); ec) co_return false;
  if (req.method() == http::verb::head) co_return keep_alive;
  bool written = co_await writePieces(stream, res, sr, reader, std::move(piece));
  co_return written&& keep_alive;
}

struct Server::Connection {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string remote_ip;  // the peer; the client's own address is clientAddress()
  std::size_t shard;      // the Hub shard whose executor runs this connection
  std::optional<http::request_parser<http::empty_body>> head;  // the request being read
  http::request<http::string_body> req;                        // once read whole
};

asio::awaitable<void> Server::session(tcp::socket socket, std::size_t shard) {
  beast::error_code ignored;
  std::string remote_ip = socket.remote_endpoint(ignored).address().to_string();
  // Small frames must leave at once: with Nagle, a frame waits for the peer's delayed ACK,
  // which parley-bench saw as deliveries held until the receiver sent something.
  socket.set_option(tcp::no_delay(true), ignored);
  Connection c{beast::tcp_stream(std::move(socket)), {}, std::move(remote_ip), shard, {}, {}};
  for (;;) {
    bool has_header = co_await readHeader(c);
    if (!has_header) break;
    Next next = co_await dispatch(c);
    if (next == Next::handed_off) co_return;
    if (next == Next::close) break;
  }
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// The header first: an upload's body is streamed, everything else is read whole.
asio::awaitable<bool> Server::readHeader(Connection& c) {
  c.head.emplace();
  c.head->header_limit(16 * 1024);
  c.head->body_limit(boost::none);  // limits are set once the route is known
  c.stream.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await http::async_read_header(c.stream, c.buffer, *c.head, kTuple);
  if (ec) {
    std::string why = "malformed request: " + ec.message();
    if (malformed(ec)) co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  if (ambiguousFraming(c.head->get())) {
    std::string why = "Transfer-Encoding must be chunked alone, on HTTP/1.1";
    co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  co_return true;
}

asio::awaitable<Server::Next> Server::dispatch(Connection& c) {
  const auto& header = c.head->get();
  std::string client_ip = clientAddress(header, c.remote_ip, ctx_.edge.trust_forwarded_for);
  auto file_route = matchFileRoute(header.method_string(), pathOf(header.target()));
  bool kept = false;
  if (file_route && file_route->kind == FileRoute::Kind::upload) {
    kept = co_await uploadFile(c.stream, c.buffer, *c.head, *file_route, client_ip);
    co_return kept ? Next::keep : Next::close;
  }
  bool read = co_await readBody(c);
  if (!read) co_return Next::close;
  if (beast::websocket::is_upgrade(c.req)) {
    Next next = co_await upgrade(c, std::move(client_ip));
    co_return next;
  }
  const bool head = c.req.method() == http::verb::head;
  if (file_route) {
    kept = co_await serveFile(c.stream, c.req, *file_route, client_ip);
  } else if (auto* file = staticFile(ctx_, c.req.method(), pathOf(c.req.target()))) {
    const bool keep_alive = c.req.keep_alive() && !stopping_;
    auto res = staticResponse(*file, c.req.version(), keep_alive, head);
    auto [ec, n] = co_await http::async_write(c.stream, res, kTuple);
    kept = !ec && keep_alive;
  } else {
    HttpResponse out = co_await answer(c, client_ip);
    const bool keep_alive = c.req.keep_alive() && !stopping_;
    auto res = toBeast(std::move(out), c.req.version(), keep_alive, head);
    auto [ec, n] = co_await http::async_write(c.stream, res, kTuple);
    kept = !ec && keep_alive;
  }
  co_return kept ? Next::keep : Next::close;
}

asio::awaitable<bool> Server::readBody(Connection& c) {
  // The header parser checked no Content-Length (an upload's may be large): check it here,
  // as the string parser only counts chunked bodies against its limit from now on.
  http::request_parser<http::string_body> parser(std::move(*c.head));
  parser.body_limit(ctx_.edge.max_body);
  beast::error_code ec;
  if (parser.content_length() && *parser.content_length() > ctx_.edge.max_body) {
    ec = http::error::body_limit;
  } else {
    std::tie(ec, std::ignore) = co_await http::async_read(c.stream, c.buffer, parser, kTuple);
  }
  if (ec == http::error::body_limit) {
    auto res = toBeast(errorResponse({Code::payload_too_large, "request body is over the limit"}),
                       11, false);
    co_await http::async_write(c.stream, res, kTuple);
    co_return false;
  }
  if (ec) {
    std::string why = "malformed request: " + ec.message();
    if (malformed(ec)) co_await refuseMalformed(c.stream, std::move(why));
    co_return false;
  }
  c.req = parser.release();
  co_return true;
}

asio::awaitable<Server::Next> Server::upgrade(Connection& c, std::string client_ip) {
  std::string_view origin = c.req[http::field::origin];
  HttpResponse refusal;
  if (pathOf(c.req.target()) != "/api/v1/ws") {
    refusal = errorResponse({Code::not_found, "no such route"});
  } else if (c.req.count(http::field::origin) &&
             !router_.originAllowed(origin, c.req[http::field::host])) {
    refusal = errorResponse({Code::origin_not_allowed, "origin not allowed"});
  } else if (stopping_) {
    refusal = errorResponse({Code::unavailable, "shutting down"});
  } else {
    c.stream.expires_never();
    startWebSocketSession(std::move(c.stream), std::move(c.req), ctx_, registry_,
                          std::move(client_ip), c.shard);
    co_return Next::handed_off;
  }
  auto res = toBeast(std::move(refusal), c.req.version(), false);
  co_await http::async_write(c.stream, res, kTuple);
  co_return Next::close;
}

// A request read whole that is not a file route nor a file of the built web client: the
// API, the operations endpoints, else the missing route.
asio::awaitable<HttpResponse> Server::answer(Connection& c, const std::string& client_ip) {
  std::string_view path = pathOf(c.req.target());
  if (path.starts_with("/api/")) {
    HttpRequest r = routerRequest(c.req, client_ip);
    r.body = std::move(c.req.body());
    HttpResponse out = co_await router_.handle(std::move(r));
    co_return out;
  }
  if (path == "/healthz") co_return plain(200, "ok\n");
  if (path == "/readyz") {
    bool ready = co_await ctx_.rooms.storeReady();
    co_return plain(ready ? 200 : 503, ready ? "ready\n" : "store unavailable\n");
  }
  if (path == "/metrics") {
    co_return plain(200, metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
  }
  // Whatever the reason a path is not served (static_files.h), the answer is this one.
  co_return errorResponse({Code::not_found, "no such route"});
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds deadline) {
  stopping_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  registry_.closeAll(1001);
  // Wait for the sessions to finish their last writes and close handshakes.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto until = std::chrono::steady_clock::now() + deadline;
  while (registry_.size() > 0 && std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(kTuple);
  }
}

}  // namespace parley::api
