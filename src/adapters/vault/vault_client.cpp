#include "adapters/vault/vault_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <mutex>

#include "adapters/aws/http_client.h"
#include "adapters/aws/retry.h"
#include "adapters/vault/vault_wire.h"
#include "core/log.h"

namespace parley::vault {

namespace asio = boost::asio;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;  // Transit answers are a few hundred bytes

using Clock = std::chrono::steady_clock;

// `text` with every occurrence of the secret replaced, whatever the server sent back.
std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
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

  // POST /v1/<path> with the JSON `body`, and X-Vault-Token unless `token` is empty.
  aws::HttpRequest request(const std::string& path, std::string body,
                           const std::string& token) const {
    aws::HttpRequest req{
        "POST",
        config.host,
        config.port,
        config.host,
        "/v1/" + path,
        {{"Host", host_header}, {"Content-Type", "application/json"}, {"X-Vault-Request", "true"}},
        std::move(body)};
    if (!token.empty()) req.headers.emplace_back("X-Vault-Token", token);
    if (!config.vault_namespace.empty()) {
      req.headers.emplace_back("X-Vault-Namespace", config.vault_namespace);
    }
    return req;
  }

  // Every secret this client holds, out of an error's text.
  std::string redacted(std::string text) {
    text = redact(std::move(text), config.token);
    if (config.approle) {
      text = redact(std::move(text), config.approle->secret_id);
      text = redact(std::move(text), config.approle->role_id);
    }
    std::lock_guard lock(mu);
    text = redact(std::move(text), token);
    return redact(std::move(text), previous_token);
  }

  asio::awaitable<Result<std::string>> exchange(std::string path, std::string body,
                                                std::string token, std::string what);
  asio::awaitable<Result<std::string>> currentToken();
  asio::awaitable<Result<TokenLease>> refresh(std::string old_token, bool renew);

  const VaultConfig config;
  const std::shared_ptr<VaultStats> stats;
  const std::string host_header;
  aws::HttpLimits limits;

  // AppRole's token (config.token is used as it is otherwise).
  std::mutex mu;
  std::string token;           // "" until the first login
  std::string previous_token;  // redacted too: calls in flight may still carry it
  Clock::time_point refresh_at{};
  Clock::time_point expires_at = Clock::time_point::max();
  std::chrono::seconds login_ttl{0};  // the lease a login gave
  bool renewable = false;
  bool refreshing = false;

  aws::HttpClient http;  // last: its destructor waits for exchanges in flight
};

// One call with bounded retries of what may pass (connection failures, timeouts, 5xx, 429).
asio::awaitable<Result<std::string>> VaultClient::Impl::exchange(std::string path, std::string body,
                                                                 std::string token,
                                                                 std::string what) {
  const aws::HttpRequest req = request(path, std::move(body), token);
  auto ex = co_await asio::this_coro::executor;
  for (int attempt = 1;; ++attempt) {
    stats->requests++;
    Result<aws::HttpResponse> r = co_await http.exchange(req, limits);
    if (r && r->status >= 200 && r->status < 300) co_return std::move(r->body);
    auto [error, again] = failure(r, what);
    error.message = redacted(std::move(error.message));
    if (!again || attempt >= config.max_attempts) co_return error;
    stats->retries++;
    asio::steady_timer timer(
        ex, aws::backoffDelay(config.backoff_initial, config.backoff_max, attempt));
    auto [ec] = co_await timer.async_wait(kAwait);
    if (ec) co_return error;  // cancelled: give the caller the last answer
  }
}

// A renewal of `old_token` if `renew`, else (or if that fails or nears the max TTL) a login.
asio::awaitable<Result<TokenLease>> VaultClient::Impl::refresh(std::string old_token, bool renew) {
  if (renew) {
    auto body = co_await exchange("auth/token/renew-self", "{}", old_token, "vault token renew");
    if (body) {
      auto lease = tokenLeaseAnswer(*body);
      // A renewal capped by the max TTL gives less and less: log in again instead.
      if (lease && lease->ttl * 3 >= login_ttl) {
        stats->renewals++;
        co_return lease;
      }
    } else {
      log::warn("vault_renew_failed", {{"error", body.error().message}});
    }
  }
  const AppRole& role = *config.approle;
  auto body =
      co_await exchange("auth/" + role.mount + "/login",
                        appRoleLoginRequest(role.role_id, role.secret_id), "", "vault login");
  if (!body) co_return body.error();
  auto lease = tokenLeaseAnswer(*body);
  if (!lease) co_return makeError(lease.error().code, redacted(lease.error().message));
  stats->logins++;
  co_return lease;
}

// The token to send: AppRole's, refreshed when two thirds of its lease have passed.
asio::awaitable<Result<std::string>> VaultClient::Impl::currentToken() {
  if (!config.approle) co_return config.token;
  std::string old;
  bool renew = false;
  {
    std::lock_guard lock(mu);
    const auto now = config.now ? config.now() : Clock::now();
    const bool valid = !token.empty() && now < expires_at;
    if (valid && (now < refresh_at || refreshing)) co_return token;
    // Without a valid token every caller refreshes (a login at start, or after expiry).
    refreshing = true;
    old = token;
    renew = valid && renewable;
  }
  auto lease = co_await refresh(old, renew);
  std::lock_guard lock(mu);
  refreshing = false;
  const auto now = config.now ? config.now() : Clock::now();
  if (!lease) {
    log::warn("vault_login_failed", {{"error", lease.error().message}});
    // The old token serves until it expires; the next call tries again.
    if (!token.empty() && now < expires_at) co_return token;
    co_return lease.error();
  }
  const bool login = lease->token != token;
  if (login) {
    previous_token = token;
    login_ttl = lease->ttl;
  }
  token = lease->token;
  renewable = lease->renewable;
  if (lease->ttl.count() == 0) {
    refresh_at = expires_at = Clock::time_point::max();
  } else {
    expires_at = now + lease->ttl;
    refresh_at = now + std::chrono::milliseconds(lease->ttl) * 2 / 3;
  }
  log::info("vault_token", {{"how", login ? "login" : "renewed"}, {"ttl_s", lease->ttl.count()}});
  co_return token;
}

VaultClient::VaultClient(VaultConfig config, std::shared_ptr<VaultStats> stats)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(stats))) {}

VaultClient::~VaultClient() = default;

const VaultConfig& VaultClient::config() const { return impl_->config; }
const VaultStats& VaultClient::stats() const { return *impl_->stats; }

asio::awaitable<Result<std::string>> VaultClient::post(std::string operation, std::string body) {
  Impl& d = *impl_;
  auto token = co_await d.currentToken();
  if (!token) co_return token.error();
  co_return co_await d.exchange(d.config.mount + "/" + operation + "/" + d.config.key_name,
                                std::move(body), std::move(*token), "vault " + operation);
}

}  // namespace parley::vault
