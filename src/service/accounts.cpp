#include "service/accounts.h"

#include <algorithm>

#include "core/log.h"
#include "core/metrics.h"
#include "crypto/tokens.h"
#include "service/envelope.h"
#include "service/frames.h"
#include "service/session_mac.h"

namespace parley {

Status AccountService::checkUsername(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  bool ok = name.size() >= 3 && name.size() <= 32 &&
            std::all_of(name.begin(), name.end(), ok_char) &&
            std::isalnum(static_cast<unsigned char>(name.front()));
  if (!ok) {
    return makeError(Code::invalid_username,
                     "username must be 3-32 characters of A-Z a-z 0-9 _ . - starting with a "
                     "letter or digit");
  }
  return {};
}

Status AccountService::checkPassword(std::string_view password) {
  if (password.size() < 8 || password.size() > 1024) {
    return makeError(Code::weak_password, "password must be 8 to 1024 bytes");
  }
  return {};
}

Task<Result<User>> AccountService::registerUser(std::string username, std::string password,
                                                std::string ip) {
  if (limits_.registration != ServiceLimits::Registration::open) {
    co_return makeError(Code::registration_closed,
                        limits_.registration == ServiceLimits::Registration::closed
                            ? "sign-up is closed on this server"
                            : "sign-up on this server needs an invite");
  }
  if (auto ok = checkUsername(username); !ok) co_return ok.error();
  if (auto ok = checkPassword(password); !ok) co_return ok.error();
  auto admitted = co_await admitRegistration(ip);
  if (!admitted) co_return admitted.error();
  auto hash = co_await hasher_.hash(std::move(password));
  if (!hash) co_return hash.error();
  auto user = co_await store_.createUser(std::move(username), std::move(*hash), clock_.now());
  if (!user && user.error().code == Code::conflict) {
    co_return makeError(Code::conflict, "username is taken");
  }
  if (user) users_.remember(user->id, user->username);
  co_return user;
}

// The network a login comes from: /24 for IPv4, /64 for IPv6 (first four groups).
std::string networkOf(const std::string& ip) {
  if (ip.find(':') != std::string::npos) {
    std::size_t pos = 0;
    for (int groups = 0; groups < 4 && pos != std::string::npos; ++groups) {
      pos = ip.find(':', pos == 0 ? 0 : pos + 1);
    }
    return pos == std::string::npos ? ip : ip.substr(0, pos);
  }
  auto dot = ip.rfind('.');
  return dot == std::string::npos ? ip : ip.substr(0, dot);
}

namespace {

// The address a registration is counted against: an IPv4 address, or an IPv6 /64 (anyone
// with IPv6 holds a whole /64, so counting single addresses would not limit anything).
std::string registrationSource(const std::string& ip);

Error limited(std::string message, int retry_after_s) {
  Error e{Code::rate_limited, std::move(message)};
  e.retry_after_s = std::max(1, retry_after_s);
  return e;
}

std::string registrationSource(const std::string& ip) {
  return ip.find(':') != std::string::npos ? networkOf(ip) : ip;
}

}  // namespace

// Per source first, then the deployment-wide budget, so one address cannot spend the
// global budget beyond its own share. Both before hashing: a refused registration costs
// the server one counter increment, not an argon2 slot.
Task<Status> AccountService::admitRegistration(const std::string& ip) {
  Millis now = clock_.now();
  std::string source_key = "register:ip:" + registrationSource(ip);
  auto per_source =
      co_await cache_.hit(source_key, limits_.register_per_ip_per_hour, 3600'000, now);
  if (!per_source.allowed) {
    metrics().registrations_limited.inc();
    co_return limited("too many registrations from this address",
                      static_cast<int>(per_source.retry_after_ms / 1000));
  }
  std::string global_key = "register:all";
  auto global = co_await cache_.hit(global_key, limits_.register_per_minute, 60'000, now);
  if (!global.allowed) {
    metrics().registrations_limited.inc();
    co_return limited("too many registrations on this server, retry later",
                      static_cast<int>(global.retry_after_ms / 1000));
  }
  co_return Status{};
}

Task<void> AccountService::audit(UserId user, const char* kind, const std::string& ip,
                                 const std::string& device, const char* detail) {
  AuditEvent e{.user_id = user,
               .kind = kind,
               .ip = ip,
               .device = device,
               .detail = detail,
               .at = clock_.now()};
  co_await store_.recordAudit(std::move(e));  // best effort: a login does not fail on it
}

Task<void> AccountService::auditRefusal(UserId user, const char* kind, const std::string& ip,
                                        const std::string& device, const char* detail) {
  AuditEvent e{.user_id = user,
               .kind = kind,
               .ip = ip,
               .device = device,  // the first attempt's: the device name is the caller's
               .detail = detail,
               .at = clock_.now()};
  // Neither the address nor the device: an attacker varies both at will, but holds few
  // networks.
  std::string key = std::string(kind) + "|" + networkOf(ip) + "|" + detail;
  co_await store_.countAudit(std::move(e), std::move(key), kAuditCountWindowMs);  // best effort
}

Task<Result<std::int64_t>> AccountService::pruneAudit() {
  if (limits_.audit_retention_ms <= 0) co_return 0;
  const Millis before = clock_.now() - limits_.audit_retention_ms;
  constexpr int kBatch = 10'000;  // one short write transaction each
  std::int64_t total = 0;
  for (;;) {
    auto deleted = co_await store_.pruneAudit(before, kBatch);
    if (!deleted) co_return deleted.error();
    total += *deleted;
    if (*deleted < kBatch) co_return total;
  }
}

// Three limits, in this order: per source IP (any account), per (account, IP), and per
// account for networks the account never logged in from. A known network is exempt from
// the last one, so an attacker spraying guesses from elsewhere cannot lock the owner out.
Task<Status> AccountService::admitLogin(const User* user, const std::string& ip,
                                        const std::string& device, bool known_network) {
  Millis now = clock_.now();
  std::string ip_key = "login:ip:" + ip;
  auto per_ip = co_await cache_.hit(ip_key, limits_.login_per_ip_per_minute, 60'000, now);
  if (!per_ip.allowed) {
    metrics().logins_locked.inc();
    co_await auditRefusal(user ? user->id : 0, "login_locked", ip, device,
                          "too many attempts from this address");
    co_return limited("too many login attempts from this address",
                      static_cast<int>(per_ip.retry_after_ms / 1000));
  }
  if (!user) co_return Status{};
  std::string pair_key = "login:pair:" + std::to_string(user->id) + ":" + ip;
  auto per_pair =
      co_await cache_.hit(pair_key, limits_.login_per_account_ip_per_15min, 15 * 60'000, now);
  if (!per_pair.allowed) {
    metrics().logins_locked.inc();
    co_await auditRefusal(user->id, "login_locked", ip, device,
                          "too many attempts for this account from this address");
    co_return limited("too many login attempts for this account",
                      static_cast<int>(per_pair.retry_after_ms / 1000));
  }
  if (!known_network) {
    std::string account_key = "login:account:" + std::to_string(user->id);
    auto per_account = co_await cache_.hit(
        account_key, limits_.login_per_account_unknown_network_per_hour, 3600'000, now);
    if (!per_account.allowed) {
      metrics().logins_locked.inc();
      co_await auditRefusal(user->id, "login_locked", ip, device,
                            "too many attempts from new networks");
      co_return limited("too many login attempts for this account from new networks",
                        static_cast<int>(per_account.retry_after_ms / 1000));
    }
  }
  co_return Status{};
}

Task<Result<AccountService::Login>> AccountService::login(std::string username,
                                                          std::string password, std::string device,
                                                          std::string ip) {
  device = device.empty() ? "unknown" : device.substr(0, 100);
  auto user = co_await store_.userByName(username);
  if (!user && user.error().code != Code::not_found) co_return user.error();

  // The account's own record of where it logged in from (Store::knownLogin), which no
  // number of refused attempts can push out.
  std::string network = networkOf(ip);
  KnownLogin known;
  if (user) {
    auto found = co_await store_.knownLogin(user->id, network, device);
    if (found) known = *found;
  }
  auto admitted = co_await admitLogin(user ? &*user : nullptr, ip, device, known.network);
  if (!admitted) co_return admitted.error();

  if (!user) {
    auto burned = co_await hasher_.burn(std::move(password));  // same time as a real check
    if (!burned) co_return burned.error();
    metrics().logins_failed.inc();
    co_await auditRefusal(0, "login_failed", ip, device, "unknown account");
    co_return makeError(Code::bad_credentials, "wrong username or password");
  }
  auto ok = co_await hasher_.verify(user->password_hash, std::move(password));
  if (!ok) co_return ok.error();
  if (!*ok) {
    metrics().logins_failed.inc();
    co_await auditRefusal(user->id, "login_failed", ip, device, "wrong password");
    co_return makeError(Code::bad_credentials, "wrong username or password");
  }
  if (user->disabled) {  // said only to whoever knows the password: it leaks nothing more
    metrics().logins_failed.inc();
    co_await auditRefusal(user->id, "login_failed", ip, device, "account disabled");
    co_return makeError(Code::account_disabled, "this account is disabled");
  }

  co_return co_await finishPassword(std::move(*user), std::move(device), std::move(ip));
}

// The audit rows say whether the network and the device are new to the account: read again
// here, since a second sign-in step may come minutes after the password.
Task<Result<AccountService::Login>> AccountService::startSession(User user, std::string device,
                                                                 std::string ip) {
  std::string network = networkOf(ip);
  KnownLogin known;
  auto found = co_await store_.knownLogin(user.id, network, device);
  if (found) known = *found;
  auto token = crypto::newSessionToken();
  Session s;
  s.user_id = user.id;
  s.token_hash = token.hash;
  s.device = device;
  s.ip = ip;
  s.created_at = s.last_seen_at = clock_.now();
  auto saved = co_await store_.createSession(std::move(s));
  if (!saved) co_return saved.error();
  users_.remember(user.id, user.username);
  metrics().logins.inc();
  co_await store_.rememberLogin(user.id, network, device, clock_.now());  // best effort
  co_await audit(user.id, "login", ip, device);
  if (!known.network) {
    metrics().logins_new_network.inc();
    co_await audit(user.id, "login_new_network", ip, device);
  }
  if (!known.device) co_await audit(user.id, "login_new_device", ip, device);
  co_await assessLogin(*saved, !known.device, !known.network);
  Login out;
  out.token = std::move(token.token);
  out.session = std::move(*saved);
  out.user = std::move(user);
  co_return out;
}

Task<std::optional<CachedSession>> AccountService::cachedSession(const std::string& hash,
                                                                 const std::string& mac_key) {
  std::optional<CachedSession> cached = co_await cache_.session(hash);
  if (!cached) co_return cached;
  if (!sessionMacValid(mac_key, hash, *cached)) {
    // Written by someone without the key, or moved from another token's key: a miss.
    metrics().session_cache_rejected.inc();
    log::warn("session_cache_rejected", {{"claimed_user_id", cached->user.id}});
    cached.reset();
  } else if (clock_.now() > cached->valid_until) {
    // A genuine entry past its time (clock skew between nodes, or replayed into the cache,
    // e.g. of a revoked session): a miss, so a replay works for the cache TTL at most.
    cached.reset();
  }
  if (!cached) co_await cache_.dropSession(hash);
  co_return cached;
}

Task<void> AccountService::cacheSession(const std::string& hash, CachedSession& s,
                                        const std::string& mac_key) {
  s.valid_until = clock_.now() + limits_.session_cache_ttl_ms;
  s.mac = sessionMac(mac_key, hash, s);
  co_await cache_.putSession(hash, s, limits_.session_cache_ttl_ms);
}

Task<Result<AuthContext>> AccountService::authenticate(std::string_view token, std::string ip) {
  if (token.empty() || token.size() > 128) co_return makeError(Code::unauthorized, "bad token");
  std::string hash = crypto::hashToken(token);  // named (g++ 12: src/README.md)
  std::string mac_name = SharedSecrets::kSessionCacheMac;
  auto mac_key = co_await secrets_.get(std::move(mac_name));
  // Without the key the cache can be neither trusted nor written: the Store answers alone.
  const bool use_cache = mac_key.has_value();
  std::optional<CachedSession> cached;
  if (use_cache) cached = co_await cachedSession(hash, *mac_key);
  if (!cached) {
    auto s = co_await store_.sessionByTokenHash(hash);
    if (!s) {
      if (s.error().code == Code::not_found) co_return makeError(Code::unauthorized, "bad token");
      co_return s.error();
    }
    auto user = co_await store_.userById(s->user_id);
    if (!user) co_return makeError(Code::unauthorized, "bad token");
    user->password_hash.clear();  // never cached
    cached = CachedSession{std::move(*s), std::move(*user), 0, {}};
    if (use_cache) co_await cacheSession(hash, *cached, *mac_key);
  }
  Session& s = cached->session;
  Millis now = clock_.now();
  if (now - s.last_seen_at > limits_.session_idle_ms ||
      now - s.created_at > limits_.session_max_age_ms) {
    co_await store_.deleteSession(s.user_id, s.id);
    co_await cache_.dropSession(hash);
    co_return makeError(Code::unauthorized, "session expired");
  }
  if (cached->user.disabled) co_return makeError(Code::unauthorized, "account disabled");
  if (now - s.last_seen_at > limits_.session_touch_every_ms || s.ip != ip) {
    s.last_seen_at = now;
    s.ip = ip;
    auto touched = co_await store_.touchSession(s.id, now, ip);
    if (!touched && touched.error().code == Code::not_found) {
      co_await cache_.dropSession(hash);  // revoked meanwhile
      co_return makeError(Code::unauthorized, "bad token");
    }
    if (use_cache) co_await cacheSession(hash, *cached, *mac_key);
  }
  co_return AuthContext{std::move(cached->user), std::move(s)};
}

void AccountService::publishRevoke(UserId user, SessionId session) {
  bus_.publish(userTopic(user),
               encodeEnvelope(Envelope::revoke(user, session), frames::sessionRevoked()));
}

Task<Status> AccountService::logout(const AuthContext& ctx) {
  auto done = co_await store_.deleteSession(ctx.user.id, ctx.session.id);
  co_await cache_.dropSession(ctx.session.token_hash);
  if (done) publishRevoke(ctx.user.id, ctx.session.id);
  co_return done;
}

Task<Result<std::vector<Session>>> AccountService::sessions(const AuthContext& ctx) {
  auto list = co_await store_.sessionsOf(ctx.user.id);
  if (list) {
    std::sort(list->begin(), list->end(),
              [](const Session& a, const Session& b) { return a.created_at > b.created_at; });
  }
  co_return list;
}

Task<Status> AccountService::revoke(const AuthContext& ctx, SessionId id) {
  auto list = co_await store_.sessionsOf(ctx.user.id);
  if (!list) co_return list.error();
  auto it = std::find_if(list->begin(), list->end(), [id](const Session& s) { return s.id == id; });
  if (it == list->end()) co_return makeError(Code::not_found, "session not found");
  auto done = co_await store_.deleteSession(ctx.user.id, id);
  // Dropped from the cache before the sockets are told: no node can re-admit the token.
  co_await cache_.dropSession(it->token_hash);
  if (done) publishRevoke(ctx.user.id, id);
  co_return done;
}

bool AccountService::namedAdmin(const User& user) const {
  const std::string key = usernameKey(user.username);
  return std::any_of(limits_.admin_usernames.begin(), limits_.admin_usernames.end(),
                     [&key](const std::string& name) { return usernameKey(name) == key; });
}

Task<Status> AccountService::requireAdmin(const AuthContext& ctx) {
  if (namedAdmin(ctx.user)) co_return Status{};
  auto user = co_await store_.userById(ctx.user.id);
  if (!user && user.error().code != Code::not_found) co_return user.error();
  if (!user || !user->admin || user->disabled) co_return makeError(Code::forbidden, "admins only");
  co_return Status{};
}

Task<Result<std::vector<AuditEvent>>> AccountService::auditTrail(const AuthContext& ctx,
                                                                 int limit) {
  co_return co_await store_.auditEvents(ctx.user.id, std::clamp(limit, 1, 500));
}

Task<Result<std::vector<AuditEvent>>> AccountService::auditTrailAll(const AuthContext& ctx,
                                                                    int limit) {
  auto allowed = co_await requireAdmin(ctx);
  if (!allowed) co_return allowed.error();
  co_return co_await store_.auditEvents(0, std::clamp(limit, 1, 500));
}

Task<Result<User>> AccountService::userByName(std::string username) {
  auto user = co_await store_.userByName(std::move(username));
  if (!user && user.error().code == Code::not_found) {
    co_return makeError(Code::not_found, "no such user");
  }
  co_return user;
}

Task<Status> AccountService::setDisabled(const AuthContext& admin, std::string username,
                                         bool disabled) {
  auto allowed = co_await requireAdmin(admin);
  if (!allowed) co_return allowed.error();
  auto user = co_await store_.userByName(std::move(username));
  if (!user) co_return user.error();
  auto set = co_await store_.setUserDisabled(user->id, disabled);
  if (!set) co_return set.error();
  co_await audit(user->id, disabled ? "account_disabled" : "account_enabled", admin.session.ip,
                 admin.session.device, "by a server admin");
  if (!disabled) co_return Status{};
  co_return co_await endSessions(user->id, 0);
}

}  // namespace parley
