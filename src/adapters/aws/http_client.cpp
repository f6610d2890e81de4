#include "adapters/aws/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <deque>
#include <optional>
#include <thread>

#include "adapters/aws/tls_context.h"
#include "core/log.h"

namespace parley::aws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
template <class T>
using Task = asio::awaitable<T>;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

Error failed(std::string_view what, const boost::system::error_code& ec) {
  return makeError(Code::unavailable, "http " + std::string(what) + ": " + ec.message());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isIpAddress(const std::string& name) {
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

// One connection, plain or TLS; `tcp()` is the lowest layer either way.
struct Connection {
  std::string endpoint;  // host|port|tls_name: what it may be reused for
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  std::shared_ptr<ssl::context> tls_context;  // outlives `tls`
  Clock::time_point idle_since{};

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};
using ConnectionPtr = std::unique_ptr<Connection>;

// What one exchange on one connection gave.
struct Outcome {
  Result<HttpResponse> result;
  bool keep = false;   // the connection may carry another exchange
  bool stale = false;  // failed before any byte of an answer arrived
};

void buildRequest(const HttpRequest& r, http::request<http::string_body>& req) {
  req.method_string(r.method);
  req.target(r.target);
  req.version(11);
  for (const auto& [k, v] : r.headers) req.set(k, v);
  req.body() = r.body;
  req.prepare_payload();
  // S3 wants Content-Length on every PUT and POST, even an empty one.
  if (r.body.empty() && (r.method == "PUT" || r.method == "POST")) {
    req.set(http::field::content_length, "0");
  }
}

template <class Stream>
Task<Outcome> exchangeOn(Stream& stream, beast::tcp_stream& tcp, const HttpRequest& request,
                         const HttpLimits& limits) {
  tcp.expires_after(limits.timeout);
  http::request<http::string_body> req;
  buildRequest(request, req);
  auto [werr, wn] = co_await http::async_write(stream, req, kAwait);
  if (werr) co_return Outcome{failed("write", werr), false, true};

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits.max_body);
  parser.skip(request.method == "HEAD");
  auto [rerr, rn] = co_await http::async_read(stream, buffer, parser, kAwait);
  if (rerr == http::error::body_limit || rerr == http::error::header_limit) {
    // The same peer would send as much again: no retry helps (a broken or hostile server).
    co_return Outcome{makeError(Code::internal, "http read: the answer is over the size limit"),
                      false, false};
  }
  if (rerr) co_return Outcome{failed("read", rerr), false, !parser.got_some()};
  tcp.expires_never();

  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  // Bytes after the response would belong to no request: such a connection is not reused.
  const bool keep = parser.keep_alive() && buffer.size() == 0;
  co_return Outcome{std::move(out), keep, false};
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o) : opts(std::move(o)) {
    if (opts.tls) {
      auto ctx = makeTlsContext(opts.ca_file);
      if (ctx) {
        tls_context = std::move(*ctx);
      } else {
        tls_error = ctx.error();
        log::error("tls_setup_failed", {{"error", tls_error->message}});
      }
    }
    thread = std::thread([this] { ioc.run(); });
  }

  ~Impl() {
    work.reset();  // run() returns once the exchanges in flight have completed
    thread.join();
    idle.clear();  // closes the sockets while their io_context still exists
  }

  // Runs on the client's thread.
  Task<Result<HttpResponse>> run(const HttpRequest& request, HttpLimits limits) {
    if (tls_error) co_return *tls_error;
    const std::string name = request.tls_name.empty() ? request.host : request.tls_name;
    const std::string endpoint = request.host + "|" + request.port + "|" + name;
    ConnectionPtr conn = takeIdle(endpoint);
    const bool reused = conn != nullptr;
    if (!conn) {
      Result<ConnectionPtr> made = co_await connect(request, name, endpoint, limits);
      if (!made) co_return made.error();
      conn = std::move(*made);
    }
    Outcome out = co_await exchangeWith(*conn, request, limits);
    if (!out.result && reused && out.stale) {
      // The server closed the connection while it was idle in the pool: once more, new.
      conn.reset();
      Result<ConnectionPtr> made = co_await connect(request, name, endpoint, limits);
      if (!made) co_return made.error();
      conn = std::move(*made);
      out = co_await exchangeWith(*conn, request, limits);
    }
    if (out.keep) putIdle(std::move(conn));
    co_return std::move(out.result);
  }

  Task<Outcome> exchangeWith(Connection& c, const HttpRequest& request, const HttpLimits& limits) {
    if (c.tls) {
      Outcome o = co_await exchangeOn(*c.tls, c.tcp(), request, limits);
      co_return o;
    }
    Outcome o = co_await exchangeOn(*c.plain, c.tcp(), request, limits);
    co_return o;
  }

  Task<Result<ConnectionPtr>> connect(const HttpRequest& request, const std::string& name,
                                      const std::string& endpoint, HttpLimits limits) {
    tcp::resolver resolver(ioc);
    auto [rerr, endpoints] = co_await resolver.async_resolve(request.host, request.port, kAwait);
    if (rerr) co_return failed("resolve", rerr);

    auto c = std::make_unique<Connection>();
    c->endpoint = endpoint;
    if (opts.tls) {
      c->tls_context = tls_context;
      c->tls.emplace(ioc.get_executor(), *tls_context);
    } else {
      c->plain.emplace(ioc.get_executor());
    }
    c->tcp().expires_after(limits.timeout);
    auto [cerr, ep] = co_await c->tcp().async_connect(endpoints, kAwait);
    if (cerr) co_return failed("connect", cerr);
    if (opts.connections_opened != nullptr) (*opts.connections_opened)++;
    if (!c->tls) co_return c;

    SSL* ssl = c->tls->native_handle();
    // The name is checked by OpenSSL during the handshake: a DNS name (also sent as SNI,
    // which must not be an address) or an IP address against the certificate's IP SANs.
    if (isIpAddress(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, name.c_str());
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, name.c_str());
    }
    auto [herr] = co_await c->tls->async_handshake(ssl::stream_base::client, kAwait);
    if (herr) {
      const long verdict = SSL_get_verify_result(ssl);
      if (verdict != X509_V_OK) {
        co_return makeError(Code::internal, "https: certificate of " + name + " refused: " +
                                                X509_verify_cert_error_string(verdict));
      }
      co_return failed("tls handshake", herr);
    }
    co_return c;
  }

  // The most recently used idle connection to `endpoint` that has not idled too long.
  ConnectionPtr takeIdle(const std::string& endpoint) {
    dropExpired();
    for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
      if ((*it)->endpoint == endpoint) {
        ConnectionPtr c = std::move(*it);
        idle.erase(std::next(it).base());
        return c;
      }
    }
    return nullptr;
  }

  void putIdle(ConnectionPtr c) {
    dropExpired();
    if (opts.max_idle == 0) return;
    while (idle.size() >= opts.max_idle) idle.pop_front();  // the oldest goes
    c->idle_since = Clock::now();
    idle.push_back(std::move(c));
  }

  void dropExpired() {
    const auto now = Clock::now();
    while (!idle.empty() && now - idle.front()->idle_since > opts.idle_timeout) idle.pop_front();
  }

  const HttpClientOptions opts;
  std::shared_ptr<ssl::context> tls_context;
  std::optional<Error> tls_error;
  // Declared before what holds its I/O objects, destroyed after them.
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::deque<ConnectionPtr> idle;  // oldest first; touched only on the client's thread
  std::thread thread;
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

Task<Result<HttpResponse>> HttpClient::exchange(const HttpRequest& request, HttpLimits limits) {
  using R = Result<HttpResponse>;
  Impl* impl = impl_.get();
  // Runs on the client's thread; completes on the caller's executor, which it keeps busy
  // (outstanding work) meanwhile, as the PostgreSQL adapter's calls do.
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [impl, &request, limits](auto handler) {
        auto home = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        asio::co_spawn(impl->ioc, impl->run(request, limits),
                       [h = std::move(handler), home = std::move(home)](std::exception_ptr e,
                                                                        R result) mutable {
                         // Only std::bad_alloc can escape; it still ends the call cleanly.
                         if (e) result = R(makeError(Code::internal, "http: exception"));
                         asio::post(home, [h = std::move(h), r = std::move(result)]() mutable {
                           std::move(h)(std::move(r));
                         });
                       });
      },
      asio::use_awaitable);
}

}  // namespace parley::aws
