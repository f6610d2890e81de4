// The streamed file routes (docs/api.md, "Files"): an upload's body is read piece by piece
// into the service, never held whole, and a download is written piece by piece from it.
// What the requests and headers look like, without Beast: files_http.h.
#include <boost/json/serialize.hpp>

#include "api/files_http.h"
#include "api/http_io.h"
#include "service/codec.h"

namespace parley::api {

using namespace http_io;

namespace {

// An upload's body, read from the socket piece by piece into a fixed buffer: the file is
// never held whole. Read errors abort the upload (the client went away or stalled).
//
// The body must keep a minimum average rate (FileLimits::min_upload_rate after
// upload_grace_ms, docs/api.md): the bytes that have arrived buy time, so the next byte is
// due by start + grace + received / rate, and never more than 30 s after the last read. A
// trickle is cut at that deadline, however regularly its bytes come.
class RequestBodySource final : public BlobSource {
 public:
  RequestBodySource(HttpStream& stream, beast::flat_buffer& buffer,
                    http::request_parser<http::buffer_body>& p, const FileLimits& limits)
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
  HttpStream& stream_;
  beast::flat_buffer& buffer_;
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
  if (!strictTransportSecurity().empty())
    res.set(http::field::strict_transport_security, strictTransportSecurity());
  return res;
}

// A download's body after its header (`sr` serializes `res`): `first`, then every further
// piece of `reader`.
// False when the response could not be finished (the connection is then closed).
asio::awaitable<bool> writePieces(HttpStream& stream, http::response<http::buffer_body>& res,
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

asio::awaitable<bool> Server::uploadFile(Connection& c, const FileRoute& route,
                                         const std::string& client_ip) {
  metrics().http_requests.inc();
  auto& stream = c.stream;
  auto& head = *c.head;
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
  RequestBodySource source(stream, c.buffer, body_parser, ctx_.files.limits());
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

asio::awaitable<bool> Server::serveFile(Connection& c, const FileRoute& route,
                                        const std::string& client_ip) {
  metrics().http_requests.inc();
  auto& stream = c.stream;
  const auto& req = c.req;
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

}  // namespace parley::api
