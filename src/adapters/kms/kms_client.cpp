#include "adapters/kms/kms_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "adapters/aws/http_client.h"
#include "adapters/aws/retry.h"
#include "adapters/aws/sigv4.h"
#include "adapters/kms/kms_wire.h"

namespace parley::kms {

namespace asio = boost::asio;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxAnswerBytes =
    std::size_t{64} * 1024;  // KMS answers are a few hundred bytes

// "YYYYMMDDTHHMMSSZ" of now (UTC).
std::string amzDateNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool success(const Result<aws::HttpResponse>& r) {
  return r && r->status >= 200 && r->status < 300;
}

}  // namespace

struct KmsClient::Impl {
  Impl(KmsConfig c, std::shared_ptr<KmsStats> s)
      : config(std::move(c)),
        stats(s ? std::move(s) : std::make_shared<KmsStats>()),
        host_header(config.host +
                    ((config.tls && config.port == "443") || (!config.tls && config.port == "80")
                         ? ""
                         : ":" + config.port)),
        http(aws::HttpClientOptions{config.tls, config.ca_file, config.max_idle_connections,
                                    config.idle_timeout, &stats->connections_opened}) {
    limits.timeout = config.request_timeout;
    limits.max_body = kMaxAnswerBytes;
  }

  const KmsConfig config;
  const std::shared_ptr<KmsStats> stats;
  const std::string host_header;
  aws::HttpLimits limits;
  aws::HttpClient http;  // last: its destructor waits for exchanges in flight
};

KmsClient::KmsClient(KmsConfig config, std::shared_ptr<KmsStats> stats)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(stats))) {}

KmsClient::~KmsClient() = default;

const KmsConfig& KmsClient::config() const { return impl_->config; }
const KmsStats& KmsClient::stats() const { return *impl_->stats; }

asio::awaitable<Result<std::string>> KmsClient::call(std::string action, std::string body) {
  Impl& d = *impl_;
  const std::string payload_hash = aws::sha256Hex(body);
  auto ex = co_await asio::this_coro::executor;
  for (int attempt = 1;; ++attempt) {
    const std::string date = amzDateNow();
    aws::SigningRequest s{"POST",
                          "/",
                          {},
                          aws::Pairs{{"Host", d.host_header},
                                     {"Content-Type", "application/x-amz-json-1.1"},
                                     {"X-Amz-Date", date},
                                     {"X-Amz-Target", "TrentService." + action}},
                          payload_hash};
    aws::HttpRequest req{"POST", d.config.host, d.config.port, d.config.host, "/", s.headers, body};
    req.headers.emplace_back(
        "Authorization", aws::authorization(s, d.config.credentials, d.config.region, "kms", date));
    d.stats->requests++;
    Result<aws::HttpResponse> r = co_await d.http.exchange(req, d.limits);
    if (success(r)) co_return std::move(r->body);

    Error error;
    bool again = false;
    if (!r) {
      // Connection failure or timeout may pass; a refused certificate (internal) does not.
      again = r.error().code == Code::unavailable;
      error = makeError(r.error().code, "kms " + action + ": " + r.error().message);
    } else {
      const KmsError e = parseError(r->body, r->header("x-amzn-errortype"));
      again = retryable(r->status, e.type);
      std::string text = "kms " + action + ": HTTP " + std::to_string(r->status);
      if (!e.type.empty()) text += " " + e.type;
      if (!e.message.empty()) text += ": " + e.message.substr(0, 300);
      error = makeError(again ? Code::unavailable : Code::internal, std::move(text));
    }
    if (!again || attempt >= d.config.max_attempts) co_return error;
    d.stats->retries++;
    asio::steady_timer timer(
        ex, aws::backoffDelay(d.config.backoff_initial, d.config.backoff_max, attempt));
    auto [ec] = co_await timer.async_wait(kAwait);
    if (ec) co_return error;  // cancelled: give the caller the last answer
  }
}

}  // namespace parley::kms
