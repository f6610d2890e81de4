#include "adapters/vault/vault_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/aws/http_client.h"
#include "adapters/aws/retry.h"
#include "adapters/vault/vault_wire.h"

namespace parley::vault {

namespace asio = boost::asio;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;  // Transit answers are a few hundred bytes

// `text` with every occurrence of the token replaced, whatever the server sent back.
std::string redact(std::string text, const std::string& token) {
  if (token.empty()) return text;
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), "***");
  }
  return text;
}

// What a failed exchange means: the error, and whether trying again may help.
std::pair<Error, bool> failure(const Result<aws::HttpResponse>& r, const std::string& what) {
  if (!r) {
    // A connection failure or timeout may pass; a refused certificate or oversize answer
    // (Code::internal from the HTTP client) does not.
    const bool again = r.error().code == Code::unavailable;
    return {makeError(r.error().code, what + ": " + r.error().message), again};
  }
  const bool again = retryable(r->status);
  std::string text = what + ": HTTP " + std::to_string(r->status);
  if (std::string errors = errorText(r->body); !errors.empty()) text += ": " + errors;
  return {makeError(again ? Code::unavailable : Code::internal, std::move(text)), again};
}

}  // namespace

struct VaultClient::Impl {
  Impl(VaultConfig c, std::shared_ptr<VaultStats> s)
      : config(std::move(c)),
        stats(s ? std::move(s) : std::make_shared<VaultStats>()),
        host_header(config.host.find(':') != std::string::npos
                        ? "[" + config.host + "]:" + config.port
                        : config.host + ":" + config.port),
        http(aws::HttpClientOptions{config.tls, config.ca_file, config.max_idle_connections,
                                    config.idle_timeout, &stats->connections_opened}) {
    limits.timeout = config.request_timeout;
    limits.max_body = kMaxAnswerBytes;
  }

  aws::HttpRequest request(const std::string& operation, std::string body) const {
    aws::HttpRequest req{"POST",
                         config.host,
                         config.port,
                         config.host,
                         "/v1/" + config.mount + "/" + operation + "/" + config.key_name,
                         {{"Host", host_header},
                          {"Content-Type", "application/json"},
                          {"X-Vault-Request", "true"},
                          {"X-Vault-Token", config.token}},
                         std::move(body)};
    if (!config.vault_namespace.empty()) {
      req.headers.emplace_back("X-Vault-Namespace", config.vault_namespace);
    }
    return req;
  }

  const VaultConfig config;
  const std::shared_ptr<VaultStats> stats;
  const std::string host_header;
  aws::HttpLimits limits;
  aws::HttpClient http;  // last: its destructor waits for exchanges in flight
};

VaultClient::VaultClient(VaultConfig config, std::shared_ptr<VaultStats> stats)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(stats))) {}

VaultClient::~VaultClient() = default;

const VaultConfig& VaultClient::config() const { return impl_->config; }
const VaultStats& VaultClient::stats() const { return *impl_->stats; }

asio::awaitable<Result<std::string>> VaultClient::post(std::string operation, std::string body) {
  Impl& d = *impl_;
  const aws::HttpRequest req = d.request(operation, std::move(body));
  const std::string what = "vault " + operation;
  auto ex = co_await asio::this_coro::executor;
  for (int attempt = 1;; ++attempt) {
    d.stats->requests++;
    Result<aws::HttpResponse> r = co_await d.http.exchange(req, d.limits);
    if (r && r->status >= 200 && r->status < 300) co_return std::move(r->body);
    auto [error, again] = failure(r, what);
    error.message = redact(std::move(error.message), d.config.token);
    if (!again || attempt >= d.config.max_attempts) co_return error;
    d.stats->retries++;
    asio::steady_timer timer(
        ex, aws::backoffDelay(d.config.backoff_initial, d.config.backoff_max, attempt));
    auto [ec] = co_await timer.async_wait(kAwait);
    if (ec) co_return error;  // cancelled: give the caller the last answer
  }
}

}  // namespace parley::vault
